// Follows a growing log file line by line (nats-server writes its log to a file, not to a pipe we could read).

import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 200;
const CHUNK = 64 * 1024;

export class FileTail {
  readonly #path: string;
  readonly #onLine: (line: string) => void;
  // Keeps a UTF-8 character that straddles two reads whole.
  readonly #decoder = new StringDecoder('utf8');
  readonly #loop: Promise<void>;
  #offset = 0;
  #partial = '';
  #stopped = false;

  constructor(path: string, onLine: (line: string) => void) {
    this.#path = path;
    this.#onLine = onLine;
    this.#loop = this.#run();
  }

  /** Reads what was written up to now, then stops following. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.#readNew();
      await sleep(POLL_MS);
    }
    await this.#readNew();
  }

  async #readNew(): Promise<void> {
    const file = await open(this.#path, 'r').catch(() => undefined); // not created yet, or already removed
    if (!file) return;
    try {
      const buffer = Buffer.alloc(CHUNK);
      for (;;) {
        const { bytesRead } = await file.read(buffer, 0, CHUNK, this.#offset);
        if (bytesRead === 0) return;
        this.#offset += bytesRead;
        this.#emit(this.#decoder.write(buffer.subarray(0, bytesRead)));
      }
    } finally {
      await file.close();
    }
  }

  #emit(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#onLine(line);
  }
}
