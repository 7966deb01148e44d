// What a class exposes to callers: exactly the methods in its `static expose`, each with the schema of its argument
// list. Checked once at registration (what can be served at all) and on every call as it enters the mailbox.
import { z } from 'zod';
import { ErrorCode, ResidentError } from './errors.ts';
import { Resident } from './resident.ts';
import type { ResidentClass } from './resident-class.ts';

/** Checks one call's arguments; returns what the method receives (the schema's output, unknown keys stripped). */
export type ArgsCheck = (args: unknown[]) => unknown[];

/** Members that lifecycle or plumbing owns: never callable, so never exposable. */
const RESERVED = new Set([
  'constructor',
  'key',
  'state',
  'onActivate',
  'onDeactivate',
  'onReminder',
  ...Object.getOwnPropertyNames(Resident.prototype),
]);

/** Reads a class's `static expose`; throws, naming the class and the member, for anything it cannot serve. */
export function exposedMethods(ctor: ResidentClass, cls: string): Map<string, ArgsCheck> {
  const list: unknown = ctor.expose;
  if (!isPlainObject(list)) {
    throw new Error(
      `${cls} needs a static expose = { method: z.tuple([...argument schemas]) } listing its callable methods`,
    );
  }
  const methods = new Map<string, ArgsCheck>();
  for (const [method, schema] of Object.entries(list)) {
    if (RESERVED.has(method) || method.startsWith('_') || method.startsWith('#')) {
      throw new Error(`${cls}.expose lists ${method}, a reserved name (lifecycle hooks, Resident's members, _ or #)`);
    }
    if (!(schema instanceof z.core.$ZodTuple)) {
      throw new Error(`${cls}.expose.${method} must be z.tuple([...]) of its argument schemas`);
    }
    requirePrototypeMethod(ctor, cls, method);
    methods.set(method, compileArgs(`${cls}.${method}`, schema));
  }
  return methods;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Only prototype methods can be served: an arrow-function property does not exist until an instance does. */
function requirePrototypeMethod(ctor: ResidentClass, cls: string, method: string): void {
  for (let p = ctor.prototype as object | null; p && p !== Resident.prototype; p = Object.getPrototypeOf(p)) {
    const desc = Object.getOwnPropertyDescriptor(p, method);
    if (!desc) continue;
    if (typeof desc.value === 'function') return;
    throw new Error(
      `${cls}.expose lists ${method}, which is ${desc.get || desc.set ? 'an accessor' : 'not a function'}`,
    );
  }
  throw new Error(
    `${cls}.expose lists ${method}, which is not a method on ${cls}'s prototype (an arrow-function property or a field? write it as a method)`,
  );
}

/**
 * Compiled once per method. Each argument is checked by its own schema (a tuple's own pass costs more than a number
 * check), and the arguments are copied only when a schema's output differs from its input: a method without
 * arguments only checks the count, and a primitive argument costs tens of nanoseconds.
 */
function compileArgs(what: string, schema: z.core.$ZodTuple): ArgsCheck {
  const { items, rest } = schema._zod.def;
  if (rest !== null) return (args) => parsed(what, schema, args, -1) as unknown[];
  return (args) => {
    if (args.length > items.length) {
      throw badArguments(what, `args: ${args.length} given, the method takes ${items.length || 'none'}`);
    }
    let out = args;
    for (let i = 0; i < items.length; i++) {
      const value = parsed(what, items[i]!, args[i], i);
      if (value === args[i]) continue;
      if (out === args) out = args.slice(); // never change the caller's array: a resend checks it again
      out[i] = value;
    }
    return out;
  };
}

/** `index`: the argument's position, or -1 for the whole argument list. */
function parsed(what: string, schema: z.core.$ZodType, value: unknown, index: number): unknown {
  let result: z.ZodSafeParseResult<unknown>;
  try {
    result = z.safeParse(schema, value);
  } catch (err) {
    throw badArguments(what, `its schema threw (${String(err)})`); // e.g. an async refinement
  }
  if (result.success) return result.data;
  const prefix = index < 0 ? 'args' : `args[${index}]`;
  const issues = result.error.issues.slice(0, 3);
  throw badArguments(what, issues.map((issue) => describeIssue(issue, prefix)).join('; '));
}

const MAX_MESSAGE = 400;

/** The error for arguments a method refuses; methods that check more than their schema throw it too. */
export function badArguments(what: string, detail: string): ResidentError {
  const message = `${what} refused its arguments: ${detail}`;
  return new ResidentError(ErrorCode.BadArguments, message.slice(0, MAX_MESSAGE));
}

function describeIssue(issue: z.core.$ZodIssue, prefix: string): string {
  let path = prefix;
  for (const key of issue.path) path += typeof key === 'number' ? `[${key}]` : `.${String(key).slice(0, 40)}`;
  return `${path}: ${issue.message}`;
}

export interface DataBounds {
  /** Deepest nesting of arrays and objects; 0 allows only a scalar. */
  readonly depth: number;
  /** Most values in all (every scalar, array and object counts one). */
  readonly values: number;
  /** Longest string, in UTF-16 units, and longest byte array. */
  readonly length: number;
}

/**
 * Any plain data (what a room's options, cache or auth may be), within bounds: null, undefined, booleans, finite
 * numbers, strings, byte arrays, arrays and plain objects, no deeper, more numerous or longer than `bounds` allows.
 */
export function boundedData(bounds: DataBounds): z.ZodType<unknown> {
  return z.unknown().refine((value) => withinBounds(value, bounds), {
    message: `not plain data within depth ${bounds.depth}, ${bounds.values} values, length ${bounds.length}`,
  });
}

function withinBounds(root: unknown, bounds: DataBounds): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  let seen = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++seen > bounds.values) return false;
    if (value === null || value === undefined || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return false;
    } else if (typeof value === 'string') {
      if (value.length > bounds.length) return false;
    } else if (value instanceof Uint8Array) {
      if (value.byteLength > bounds.length) return false;
    } else if (Array.isArray(value) || isPlainObject(value)) {
      if (depth >= bounds.depth) return false;
      for (const child of Object.values(value)) stack.push([child, depth + 1]);
      if (seen + stack.length > bounds.values) return false;
    } else return false;
  }
  return true;
}

// The types that make the compiler refuse what registration and calls refuse are in resident-class.ts.
export type { ExposableKey, ExposeCheck } from './resident-class.ts';
