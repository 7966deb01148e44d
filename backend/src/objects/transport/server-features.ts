// What the connected nats-server's JetStream supports, from its JetStream API level (advertised in INFO since 2.11,
// else in account info) or, when it advertises none, from its version. nats-server 2.9 and 2.10 support none of
// these; the runtime uses a feature only where it is reported here.
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface ServerFeatures {
  readonly version: string;
  /** JetStream API level: 0 before 2.11, 1 on 2.11, 2 on 2.12, … */
  readonly apiLevel: number;
  /** Per-message TTL (`Nats-TTL`), and so per-key TTL on KV buckets with `markerTTL`. */
  readonly messageTtl: boolean;
  /** Many subjects' last messages in one direct get (`multi_last`). */
  readonly batchDirectGet: boolean;
  /** Atomic batch publish (`allow_atomic` streams). */
  readonly atomicBatchPublish: boolean;
}

/** API level each feature first came with (nats-server 2.11 → 1, 2.12 → 2). */
const LEVEL = { messageTtl: 1, batchDirectGet: 1, atomicBatchPublish: 2 } as const;

export async function detectServerFeatures(nc: NatsConnection, jsm?: JetStreamManager): Promise<ServerFeatures> {
  const info = nc.info;
  if (info === undefined) throw new Error('detectServerFeatures: the connection has no server INFO yet');
  let level = info.api_lvl;
  if (level === undefined && info.jetstream) {
    const account = await (jsm ?? (await jetstreamManager(nc))).getAccountInfo();
    level = account.api.level;
  }
  return serverFeatures(info.version, level);
}

export function serverFeatures(version: string, advertisedLevel: number | undefined): ServerFeatures {
  const apiLevel = advertisedLevel ?? levelOfVersion(version);
  return {
    version,
    apiLevel,
    messageTtl: apiLevel >= LEVEL.messageTtl,
    batchDirectGet: apiLevel >= LEVEL.batchDirectGet,
    atomicBatchPublish: apiLevel >= LEVEL.atomicBatchPublish,
  };
}

/** A server that advertises no API level: 2.11+ would have, so this only covers odd builds. Unreadable → none. */
function levelOfVersion(version: string): number {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) return 0;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major > 2 || (major === 2 && minor >= 12)) return 2;
  return major === 2 && minor === 11 ? 1 : 0;
}
