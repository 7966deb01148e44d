import { ErrorCode, ResidentError } from './errors.ts';
import { type AnyResident, RESERVED_METHODS, Resident, type ResidentClass } from './resident.ts';

export interface ClassEntry {
  readonly name: string;
  readonly ctor: ResidentClass;
  readonly methods: ReadonlySet<string>;
  readonly durable: boolean;
  readonly idleMs: number | undefined;
}

/** The classes a node can host, and the methods each exposes to callers. */
export class ClassRegistry {
  private readonly byName = new Map<string, ClassEntry>();
  private readonly byCtor = new Map<ResidentClass, ClassEntry>();

  constructor(classes: readonly ResidentClass[]) {
    for (const ctor of classes) this.add(ctor);
  }

  private add(ctor: ResidentClass): void {
    const name = ctor.typeName ?? ctor.name;
    if (typeof ctor.initial !== 'function') throw new Error(`${name} needs a static initial(key) method`);
    if (this.byName.has(name)) throw new Error(`two object classes are named ${name}; set static typeName`);
    const entry = { name, ctor, methods: exposedMethods(ctor), durable: ctor.durable, idleMs: ctor.idleMs };
    this.byName.set(name, entry);
    this.byCtor.set(ctor, entry);
  }

  ofClass(ctor: ResidentClass): ClassEntry {
    const entry = this.byCtor.get(ctor);
    if (!entry) throw new ResidentError(ErrorCode.UnknownClass, `${ctor.name} is not a registered object class`);
    return entry;
  }

  named(name: string): ClassEntry {
    const entry = this.byName.get(name);
    if (!entry) throw new ResidentError(ErrorCode.UnknownClass, `no object class named ${JSON.stringify(name)}`);
    return entry;
  }

  all(): Iterable<ClassEntry> {
    return this.byName.values();
  }
}

export function checkMethod(entry: ClassEntry, method: string): void {
  if (!entry.methods.has(method)) {
    throw new ResidentError(ErrorCode.UnknownMethod, `${entry.name} has no callable method ${JSON.stringify(method)}`);
  }
}

/** Public prototype methods up to Resident; names starting with _ stay private. */
function exposedMethods(ctor: ResidentClass): Set<string> {
  const methods = new Set<string>();
  for (
    let proto = ctor.prototype as object;
    proto && proto !== Resident.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof desc?.value !== 'function' || RESERVED_METHODS.has(name) || name.startsWith('_')) continue;
      methods.add(name);
    }
  }
  return methods;
}

export type { AnyResident };
