// Every couple of seconds a cluster node publishes a compact summary of itself on `rsd.<cluster>.stats.<node>`:
// what the read-only metrics role of NATS may read (and nothing else), for dashboards and tooling without HTTP access.

import { matchMaker } from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { statsSubject } from '@resident/shared/nats';
import type { ObjectRuntime } from '../objects/index.ts';

export const STATS_INTERVAL_MS = 2000;

export interface NodeStats {
  readonly node: string;
  /** Wall-clock milliseconds when taken. */
  readonly at: number;
  /** Clients connected to this node's rooms. */
  readonly users: number;
  readonly rooms: number;
  readonly objects: number;
  readonly rssBytes: number;
  /** Share of one core used since the previous summary (1 = a full core). */
  readonly cpu: number;
}

/** Starts publishing; returns the stop function. */
export function publishStats(
  nc: NatsConnection,
  cluster: string,
  runtime: ObjectRuntime,
  intervalMs = STATS_INTERVAL_MS,
) {
  const subject = statsSubject(cluster, runtime.nodeId);
  let cpu = process.cpuUsage();
  let at = performance.now();
  const timer = setInterval(() => {
    const [nextCpu, now] = [process.cpuUsage(), performance.now()];
    const usedMs = (nextCpu.user + nextCpu.system - cpu.user - cpu.system) / 1000;
    const stats: NodeStats = {
      node: runtime.nodeId,
      at: Date.now(),
      users: matchMaker.stats.local.ccu,
      rooms: matchMaker.stats.local.roomCount,
      objects: runtime.activeObjects,
      rssBytes: process.memoryUsage.rss(),
      cpu: Math.round((usedMs / (now - at)) * 1000) / 1000,
    };
    [cpu, at] = [nextCpu, now];
    // Best effort: a summary lost while NATS is away is replaced by the next one.
    if (!nc.isClosed()) nc.publish(subject, JSON.stringify(stats));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
