export { credsFile } from './creds-file.ts';
export type { NatsCluster, NatsSecurityOptions, NatsServerHandle } from './nats-harness.ts';
export { findNatsServer, startNats, startNatsCluster } from './nats-harness.ts';
export { createTestCertificates, type TestCertificates } from './tls-certs.ts';
