// What an object class declares, as types only: the base class, references and the registry all depend on these,
// and these depend on none of them.
import type { z } from 'zod';

/** The public members of every object (`keyof Resident`): never exposable. */
export interface ResidentMembers<S = unknown> {
  readonly key: string;
  state: S;
  onActivate?(): void | Promise<void>;
  onDeactivate?(): void | Promise<void>;
  onReminder?(name: string): void | Promise<void>;
}

/** Method name → `z.tuple([...])` of its arguments, one schema per parameter. */
export type ExposeList = { readonly [method: string]: z.core.$ZodTuple };

// biome-ignore lint/suspicious/noExplicitAny: a class of any object, whatever its state type
export interface ResidentClass<T extends ResidentMembers<any> = ResidentMembers<any>> {
  new (): T;
  readonly name: string;
  /** Overrides the class name as the wire name, e.g. to survive minification or renames. */
  readonly typeName?: string;
  /** Exactly the methods callers may call, from this node or any other; see exposure.ts. */
  readonly expose: ExposeList;
  readonly durable: boolean;
  readonly idleMs: number | undefined;
  initial(key: string): T['state'];
}

// biome-ignore lint/suspicious/noExplicitAny: matches any method signature
type AnyFn = (...args: any[]) => any;

/**
 * The names a class may expose: its public methods, less Resident's own members and `_` helpers. TypeScript
 * `private` and `protected` members are not in `keyof`, so exposing one does not compile. (An arrow-function
 * property looks like a method to the compiler; registration refuses it.)
 */
export type ExposableKey<T> = {
  [K in keyof T]-?: K extends keyof ResidentMembers | `_${string}` ? never : T[K] extends AnyFn ? K : never;
}[keyof T] &
  string;

/** Why one exposed entry is wrong, or never: the schema's output must fit the method's parameters, one for one. */
type Params<F> = F extends (...args: infer P) => unknown ? P : never;

type Problem<T, K, S> =
  K extends ExposableKey<T>
    ? S extends z.core.$ZodType
      ? z.output<S> extends Params<T[K]>
        ? Required<Params<T[K]>>['length'] extends Required<z.output<S>>['length']
          ? never
          : `${K}: the schema lists a different number of arguments than the method takes`
        : `${K}: the schema's output does not fit the method's parameters`
      : `${K}: not a z.tuple`
    : `${K & string}: not a public method of the class`;

type Problems<C extends ResidentClass> = {
  [K in keyof C['expose']]-?: Problem<InstanceType<C>, K, C['expose'][K]>;
}[keyof C['expose']];

/**
 * `unknown` for a class whose `expose` is sound, else a property it lacks whose name says what is wrong: so
 * `objects.get(cls, key)` does not compile for a class that lists a private method or mismatched schemas.
 */
export type ExposeCheck<C extends ResidentClass> = string extends keyof C['expose']
  ? unknown
  : [Problems<C>] extends [never]
    ? unknown
    : { readonly 'static expose is wrong': Problems<C> };
