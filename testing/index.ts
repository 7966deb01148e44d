// What tests and benchmarks start. The process pieces (kill registry, free ports, `/ready` poller, nats-servers)
// are infra's, which the cluster runner uses too: this package reuses them, it holds no copy.

export {
  findNatsServer,
  type NatsCluster,
  type NatsSecurityOptions,
  type NatsServerHandle,
  startNats,
  startNatsCluster,
} from '@resident/infra/nats';
export {
  Child,
  freePort,
  freePorts,
  killAllOnSignals,
  NotReadyError,
  nodeScriptArgs,
  type ReadyTarget,
  waitAllReady,
} from '@resident/infra/process';
export { credsFile } from './creds-file.ts';
export {
  OPERATOR_SETTINGS,
  type PostgresOptions,
  type PostgresServer,
  postgresMissing,
  startPostgres,
} from './postgres-server.ts';
export { type RedisServer, startRedis } from './redis-server.ts';
export { cleanup, type Setup, type SetupOptions, setup } from './setup.ts';
export { createTestCertificates, type TestCertificates } from './tls-certs.ts';
