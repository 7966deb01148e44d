// The compatibility run: the runtime's invariant tests against the system's nats-server (Debian 12's 2.9.10), while
// the rest of `npm test` uses the provisioned one (2.15). On a host whose package is another version (Debian 13:
// 2.10), it runs against that and says so.
import { spawnSync } from 'node:child_process';
import { natsServerVersion } from '@resident/shared/bench';
import { systemNatsServer } from '@resident/shared/nats';

const INVARIANT_TESTS = [
  'test/objects/single-writer.test.ts',
  'test/objects/failover.test.ts',
  'test/objects/liveness.test.ts',
  'test/objects/cluster.test.ts',
  'test/objects/rebalance.test.ts',
  'test/objects/nats-loss.test.ts',
  'test/objects/resend.test.ts',
  'test/storage/state-store.test.ts',
];

const bin = systemNatsServer();
if (bin === undefined) {
  console.error('compat-nats: no nats-server on PATH; run `node scripts/provision.mjs` from the repo root');
  process.exit(1);
}
const version = natsServerVersion(bin);
const note = version.startsWith('2.9.') ? '' : ' (not 2.9: this host packages another version)';
console.log(`compat-nats: invariant tests on the system's nats-server ${version} at ${bin}${note}`);
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...INVARIANT_TESTS], {
  stdio: 'inherit',
  env: { ...process.env, NATS_SERVER_BIN: bin },
});
process.exit(run.status ?? 1);
