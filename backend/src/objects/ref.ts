// What a reference to an object offers, as types only (the implementation is refs.ts).
import type { ExposableKey, ExposeCheck, ResidentClass } from './resident-class.ts';

/**
 * A typed reference to an object of class C: exactly the methods in `C.expose`, with the argument types of the
 * class's own signatures, each returning a promise.
 */
export type Ref<C extends ResidentClass> = {
  readonly [K in keyof C['expose'] & ExposableKey<InstanceType<C>>]: InstanceType<C>[K] extends (
    ...args: infer A
  ) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export interface CallOptions {
  /** Overall budget for the call, retries included. */
  timeoutMs?: number;
}

export interface Refs {
  /** Does not compile for a class whose `static expose` lists a non-public method or mismatched schemas. */
  get<C extends ResidentClass>(cls: C & ExposeCheck<C>, key: string, opts?: CallOptions): Ref<C>;
}
