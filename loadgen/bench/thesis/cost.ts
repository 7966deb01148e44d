// What a phase cost: CPU seconds of every process involved (the stack's, the driver's, the whole machine's), the
// stack's own counters (database statements, Redis commands, NATS messages) and the bytes moved over loopback,
// where every process of both stacks talks. Totals are read before and after the phase and diffed.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuDelta, cpuSeconds, cpuSnapshot, treeCpuSeconds } from '@resident/infra/process';
import type { Stack, StackCounters } from './stacks/stack.ts';

export const DRIVER = 'driver (this process)';

export interface Cost {
  /** CPU seconds by process name, with the driver and the whole machine. */
  cpu: Map<string, number>;
  counters: StackCounters;
  loopbackBytes: number | undefined;
}

/** Totals so far, in the shape of a phase's cost. */
async function totals(stack: Stack): Promise<Cost> {
  const cpu = cpuSnapshot(new Map([[DRIVER, process.pid]]));
  for (const p of stack.processes) {
    const seconds = p.tree ? treeCpuSeconds(p.pid) : cpuSeconds(p.pid);
    if (seconds !== undefined) cpu.set(p.name, seconds);
  }
  return { cpu, counters: await stack.counters(), loopbackBytes: loopbackBytes() };
}

/** Runs `phase` and returns its result with what it cost. */
const LOOP_SAMPLE_MS = 10;

/** How late the driver's event loop ran during a phase: it hosts the clients, so its stalls count as latency. */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

export async function measured<T>(
  stack: Stack,
  phase: () => Promise<T>,
): Promise<{ result: T; cost: Cost; loop: LoopDelay }> {
  const before = await totals(stack);
  const delay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  delay.enable();
  const result = await phase();
  delay.disable();
  // Each sample is the time between two ticks of a LOOP_SAMPLE_MS timer: the lateness is what exceeds it.
  const late = (ns: number) => Math.max(0, ns / 1e6 - LOOP_SAMPLE_MS);
  const loop = { p99Ms: late(delay.percentile(99)), maxMs: late(delay.max) };
  const after = await totals(stack);
  const counters: StackCounters = {};
  for (const key of Object.keys(after.counters) as (keyof StackCounters)[]) {
    const a = after.counters[key];
    const b = before.counters[key];
    if (a !== undefined && b !== undefined) counters[key] = a - b;
  }
  const bytes =
    after.loopbackBytes !== undefined && before.loopbackBytes !== undefined
      ? after.loopbackBytes - before.loopbackBytes
      : undefined;
  return { result, cost: { cpu: cpuDelta(before.cpu, after.cpu), counters, loopbackBytes: bytes }, loop };
}

/** CPU seconds of the stack's processes of `tier` (all when omitted), without the driver and the machine. */
export function stackCpu(cost: Cost, stack: Stack, tier?: 'app' | 'infra'): number {
  return stack.processes
    .filter((p) => tier === undefined || p.tier === tier)
    .reduce((sum, p) => sum + (cost.cpu.get(p.name) ?? 0), 0);
}

/** Bytes received on the loopback interface so far (each byte sent over it is received once). */
function loopbackBytes(): number | undefined {
  try {
    const line = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .find((l) => l.trim().startsWith('lo:'));
    return line ? Number(line.split(':')[1]!.trim().split(/\s+/)[0]) : undefined;
  } catch {
    return undefined;
  }
}
