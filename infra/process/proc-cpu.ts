// CPU time of processes on this machine, from /proc (Linux): how busy each one was during a phase.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ, 100 on every Linux we run on

/** User + system CPU seconds the process has used so far; undefined when it is gone or /proc is not there. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S : undefined; // utime, stime (14, 15)
}

/**
 * CPU seconds of a process and every process under it (PostgreSQL serves each connection in a process of its own):
 * the live ones, and those already gone, which the kernel adds to their parent's children times.
 */
export function treeCpuSeconds(root: number | undefined): number | undefined {
  if (root === undefined) return undefined;
  const stats = new Map<number, string[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields) stats.set(Number(entry), fields);
  }
  const rootFields = stats.get(root);
  if (!rootFields) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, f] of stats) children.set(Number(f[1]), [...(children.get(Number(f[1])) ?? []), pid]);
  let ticks = Number(rootFields[13]) + Number(rootFields[14]); // cutime, cstime: children already reaped
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const fields = stats.get(pid)!;
    ticks += Number(fields[11]) + Number(fields[12]);
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks / TICKS_PER_S;
}

/** The fields of /proc/<pid>/stat after the command name (field 3, the state, first); undefined when gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores; everything but idle and iowait). */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - ticks[3]! - ticks[4]!) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

export const MACHINE = 'whole machine';

/** Snapshot of several processes' CPU seconds, and of the whole machine's, to diff later. */
export function cpuSnapshot(pids: ReadonlyMap<string, number | undefined>): Map<string, number> {
  const out = new Map<string, number>();
  const machine = machineBusySeconds();
  if (machine !== undefined) out.set(MACHINE, machine);
  for (const [name, pid] of pids) {
    const s = cpuSeconds(pid);
    if (s !== undefined) out.set(name, s);
  }
  return out;
}

/** CPU seconds each process used between two snapshots. */
export function cpuDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, s] of after) {
    const b = before.get(name);
    if (b !== undefined) out.set(name, s - b);
  }
  return out;
}
