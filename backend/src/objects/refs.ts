import type { CallOptions, Ref, Refs } from './ref.ts';
import type { ClassEntry, ClassRegistry } from './registry.ts';
import type { ExposeCheck, ResidentClass } from './resident-class.ts';

export interface Invoker {
  invoke(
    entry: ClassEntry,
    key: string,
    method: string,
    args: unknown[],
    chain: string | undefined,
    timeoutMs: number,
  ): Promise<unknown>;
}

// A reference's own fields live under symbols, so that no exposed method name (`entry`, `refs`...) is shadowed.
const ENTRY = Symbol('entry');
const KEY = Symbol('key');
const REFS = Symbol('refs');
const TIMEOUT = Symbol('timeoutMs');

interface Stub {
  [ENTRY]: ClassEntry;
  [KEY]: string;
  [REFS]: RefsImpl;
  [TIMEOUT]: number;
}

const stubPrototypes = new WeakMap<ClassEntry, object>();

/** One prototype per class, so a reference is a 4-field object however many methods the class has. */
function stubPrototype(entry: ClassEntry): object {
  let proto = stubPrototypes.get(entry);
  if (proto) return proto;
  proto = {};
  for (const method of entry.methods.keys()) {
    Object.defineProperty(proto, method, {
      value(this: Stub, ...args: unknown[]) {
        const refs = this[REFS];
        return refs.invoker.invoke(this[ENTRY], this[KEY], method, args, refs.chain(), this[TIMEOUT]);
      },
    });
  }
  stubPrototypes.set(entry, proto);
  return proto;
}

export class RefsImpl implements Refs {
  constructor(
    readonly registry: ClassRegistry,
    readonly invoker: Invoker,
    /** The chain the next call joins: the running turn's chain inside an object, none outside. */
    readonly chain: () => string | undefined,
    private readonly defaultTimeoutMs: number,
  ) {}

  get<C extends ResidentClass>(cls: C & ExposeCheck<C>, key: string, opts: CallOptions = {}): Ref<C> {
    if (typeof key !== 'string') throw new TypeError(`object key must be a string, got ${typeof key}`);
    const entry = this.registry.ofClass(cls);
    const stub = Object.create(stubPrototype(entry)) as Stub & Ref<C>;
    stub[ENTRY] = entry;
    stub[KEY] = key;
    stub[REFS] = this;
    stub[TIMEOUT] = opts.timeoutMs ?? this.defaultTimeoutMs;
    return stub;
  }
}
