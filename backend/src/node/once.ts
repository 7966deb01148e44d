/** Runs fn at most once; every later call gets the first call's promise. For idempotent close/stop. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}
