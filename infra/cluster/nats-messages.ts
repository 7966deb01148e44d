// What the NATS supervisor tells the runner, one JSON object per stdout line.

import type { Role } from '@resident/shared/nats';

export interface ServerInfo {
  readonly url: string;
  readonly monitorUrl: string;
  readonly pid: number;
}

export type NatsMessage =
  | {
      readonly type: 'ready';
      readonly servers: readonly ServerInfo[];
      /** The nkey seed file of each NATS role, in the supervisor's temp dir (removed when NATS stops). */
      readonly seedFiles: Readonly<Record<Role, string>>;
    }
  | { readonly type: 'log'; readonly server: number; readonly line: string }
  | { readonly type: 'exited'; readonly server: number; readonly pid: number };

export function encode(message: NatsMessage): string {
  return JSON.stringify(message);
}

/** Undefined for anything that is not one of our messages (e.g. a stray line from a library). */
export function decode(line: string): NatsMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('type' in value)) return undefined;
  const { type } = value;
  return type === 'ready' || type === 'log' || type === 'exited' ? (value as NatsMessage) : undefined;
}
