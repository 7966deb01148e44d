// Process supervision for the cluster runner, and for tests and benchmarks through @resident/testing.
export { Child, type ExitStatus, nodeScriptArgs, type SpawnOptions } from './child.ts';
export {
  MAX_CPU,
  MAX_FDS,
  MachineError,
  type MachineLimits,
  Machines,
  MIN_CPU,
  MIN_FDS,
  quotaUnsupported,
  type Throttling,
} from './machines.ts';
export { freePort, freePorts, holdPorts, type PortHold, PortInUseError } from './ports.ts';
export { cpuDelta, cpuSeconds, cpuSnapshot, MACHINE, machineBusySeconds, treeCpuSeconds } from './proc-cpu.ts';
export { NotReadyError, READY_TIMEOUT_MS, type ReadyTarget, waitAllReady } from './readiness.ts';
export { atExit, forgetAtExit, forgetDir, killAll, killAllOnSignals, removeOnExit, track } from './registry.ts';
export { isDead, isStopped, THREAD_WAIT_MS, waitForThreads } from './threads.ts';
