// Entry point of one twin instance: reads flags and env, starts, stops on SIGINT/SIGTERM.
// Exit codes: 0 stopped, 1 could not start, 2 bad flags.
import { ConfigError } from '../../src/node/config.ts';
import { readStatelessConfig, USAGE } from './config.ts';
import { startStatelessApi } from './server.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

let config: ReturnType<typeof readStatelessConfig>;
try {
  config = readStatelessConfig(argv, process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`stateless: ${err.message}`);
  process.exit(2);
}

const api = await startStatelessApi(config).catch((err: unknown) => {
  console.error(`stateless: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
console.log(`stateless: ${api.instanceId} listening on ${api.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
