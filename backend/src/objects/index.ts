// The public API, what game code imports. The node wiring, the Colyseus glue and tests use internal.ts.
export { ErrorCode, isRetryable, ResidentError } from './errors.ts';
export { badArguments, boundedData, type DataBounds } from './exposure.ts';
export type { MemberInfo, MembershipView } from './membership/member.ts';
export { deriveMembershipKey } from './membership/member-entry.ts';
export { hash32 } from './placement/hash.ts';
export type { CallOptions, Ref, Refs } from './ref.ts';
export {
  type AnyResident,
  type Clock,
  Resident,
  type ResidentContext,
  systemClock,
  type TimerHandle,
} from './resident.ts';
export type { ExposeCheck, ExposeList, ResidentClass } from './resident-class.ts';
export { ObjectRuntime, type RuntimeOptions } from './runtime.ts';
export { RevisionConflict, type StateStore, type StoredState } from './storage/state-store.ts';
