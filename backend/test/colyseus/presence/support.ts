import { waitFor } from '../../../testing/support.ts';

export { waitFor };

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects what a subscription callback receives. */
export class Inbox {
  readonly got: unknown[] = [];
  readonly cb = (data: unknown): void => {
    this.got.push(data);
  };

  until(count: number, what: string): Promise<void> {
    return waitFor(() => this.got.length >= count, 3000, `${count} message(s) on ${what}`);
  }
}

export const sorted = (values: readonly string[]): string[] => [...values].sort();
