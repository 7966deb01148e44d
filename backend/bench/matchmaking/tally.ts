// Counts what Colyseus's matchmaker does in this process (retries, waits on the create lock, rooms created, seat
// reservations), from its own `colyseus:matchmaking` debug lines, and keeps the counts in a JSON file for the
// benchmark to read. Explains where join latency goes without changing Colyseus.
import { writeFileSync } from 'node:fs';
import { format } from 'node:util';
import { debugMatchMaking } from '@colyseus/core';

export type Tally = Record<string, number>;

const KINDS: readonly (readonly [RegExp, (m: RegExpExecArray) => string])[] = [
  [/retrying due to error \(error: (.*?), retries: (\d+)/, (m) => `retry ${m[2]}: ${generic(m[1]!)}`],
  [/receiving \d+ concurrent joinOrCreate/, () => 'waited on the create lock'],
  [/creating room/, () => 'room created'],
  [/discarding duplicate room/, () => 'duplicate room discarded'],
  [/reserving seat on/, () => 'seat reservation attempted'],
  [/consuming seat reservation/, () => 'seat consumed (client connected)'],
  [/disposing '/, () => 'room disposed'],
];

const tally: Tally = {};
let dirty = true;

function note(kind: string): void {
  tally[kind] = (tally[kind] ?? 0) + 1;
  dirty = true;
}

/** Starts counting the matchmaker's debug lines; the file is rewritten at most every `everyMs` while counts change. */
export function tallyMatchmaking(file: string, everyMs = 200): void {
  debugMatchMaking.enabled = true;
  debugMatchMaking.log = (...args: unknown[]) => note(classify(format(...args)));
  const flush = () => {
    if (!dirty) return;
    dirty = false;
    writeFileSync(file, JSON.stringify(tally));
  };
  flush();
  setInterval(flush, everyMs).unref();
}

function classify(line: string): string {
  for (const [pattern, name] of KINDS) {
    const m = pattern.exec(line);
    if (m) return name(m);
  }
  return `other: ${generic(line.replace(/^\S+ colyseus:matchmaking /, '').split('\n')[0]!)}`;
}

/** Colyseus ids (9 of A-Z a-z 0-9 _ -, not all lower case) out, so that like messages count together. */
function generic(message: string): string {
  return message.replace(/(?<![\w-])(?=[\w-]*[A-Z0-9_-])[\w-]{9}(?![\w-])/g, '<id>').slice(0, 120);
}
