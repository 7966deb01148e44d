// Process supervision for the cluster runner, and for tests and benchmarks through @resident/testing.
export { Child, type ExitStatus, nodeScriptArgs, type SpawnOptions } from './child.ts';
export { freePort, freePorts, holdPorts, type PortHold, PortInUseError } from './ports.ts';
export { NotReadyError, READY_TIMEOUT_MS, type ReadyTarget, waitAllReady } from './readiness.ts';
export { forgetDir, killAll, killAllOnSignals, removeOnExit, track } from './registry.ts';
export { isDead, isStopped, THREAD_WAIT_MS, waitForThreads } from './threads.ts';
