// CPU time of processes on this machine, from /proc (Linux): how busy each one was during a phase.
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ, 100 on every Linux we run on

/** User + system CPU seconds the process has used so far; undefined when it is gone or /proc is not there. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S; // utime, stime (fields 14 and 15 of stat)
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
