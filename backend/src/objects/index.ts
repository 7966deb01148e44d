export { ErrorCode, isRetryable, ResidentError } from './errors.ts';
export { badArguments, boundedData, type DataBounds, type ExposeCheck } from './exposure.ts';
export type { MemberInfo } from './membership/member.ts';
export { hash32 } from './placement/hash.ts';
export type { CallOptions, Ref, Refs } from './refs.ts';
export {
  type AnyResident,
  type Clock,
  type ExposeList,
  Resident,
  type ResidentClass,
  type ResidentContext,
  systemClock,
  type TimerHandle,
} from './resident.ts';
export { ObjectRuntime, type RuntimeOptions } from './runtime.ts';
export { RevisionConflict, type StateStore, type StoredState } from './storage/state-store.ts';
