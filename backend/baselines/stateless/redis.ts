// The Redis connection every part of an instance shares. node-redis pipelines on its own: the commands issued in
// one tick leave in one write, so concurrent requests share round trips without asking.
import { createClient } from '@redis/client';
import { LEADERBOARD_SCRIPTS } from './leaderboard-scripts.ts';

// No offline queue: while Redis is away a command fails at once (a cache miss) instead of waiting for it.
const newClient = (url: string) => createClient({ url, scripts: LEADERBOARD_SCRIPTS, disableOfflineQueue: true });
export type Redis = ReturnType<typeof newClient>;

/** Connected; `onError` hears connection errors (the client reconnects by itself). */
export async function connectRedis(url: string, onError: (err: Error) => void): Promise<Redis> {
  const client = newClient(url);
  client.on('error', onError); // without a listener, a dropped connection would crash the process
  await client.connect();
  return client;
}
