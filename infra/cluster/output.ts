// Interleaved output of many processes: every line prefixed with its process's name, one color per process on a TTY.

import type { Writable } from 'node:stream';

/** The runner's own lines. */
export const SELF = 'cluster';

// 256-color codes far apart in hue, so 16 nodes, 3 servers and the runner all get a different one.
const PALETTE = [39, 208, 76, 170, 220, 45, 203, 141, 118, 214, 81, 213, 190, 33, 166, 49, 177, 228, 69, 209];

export type Stream = Writable & { isTTY?: boolean };

export class Printer {
  readonly #prefixes = new Map<string, { plain: string; colored: string }>();
  readonly #out: Stream;
  readonly #err: Stream;

  /** `names` fixes each name's color and the prefix width, so lines of different processes stay aligned. */
  constructor(names: readonly string[], out: Stream = process.stdout, err: Stream = process.stderr) {
    this.#out = out;
    this.#err = err;
    const all = [SELF, ...names];
    const width = Math.max(...all.map((n) => n.length)) + 2;
    all.forEach((name, i) => {
      const plain = `[${name}]`.padEnd(width);
      this.#prefixes.set(name, { plain, colored: `\x1b[38;5;${PALETTE[i % PALETTE.length]}m${plain}\x1b[0m` });
    });
  }

  /** One line a child wrote, to our stdout or stderr like the child did. */
  line(name: string, stream: 'out' | 'err', text: string): void {
    const target = stream === 'out' ? this.#out : this.#err;
    target.write(`${this.#prefix(name, target)} ${text}\n`);
  }

  info(text: string): void {
    for (const line of text.split('\n')) this.line(SELF, 'out', line);
  }

  /** Something went wrong that the user must not miss among hundreds of log lines. */
  alert(text: string): void {
    const [first = '', ...rest] = text.split('\n');
    const headline = colorful(this.#err) ? `\x1b[1;31m!!! ${first}\x1b[0m` : `!!! ${first}`;
    for (const line of [headline, ...rest]) this.line(SELF, 'err', line);
  }

  #prefix(name: string, target: Stream): string {
    const prefix = this.#prefixes.get(name) ?? { plain: `[${name}]`, colored: `[${name}]` };
    return colorful(target) ? prefix.colored : prefix.plain;
  }
}

// NO_COLOR: https://no-color.org
function colorful(stream: Stream): boolean {
  return stream.isTTY === true && process.env.NO_COLOR === undefined;
}
