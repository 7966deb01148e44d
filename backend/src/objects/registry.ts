import { ErrorCode, ResidentError } from './errors.ts';
import { type ArgsCheck, exposedMethods } from './exposure.ts';
import { type AnyResident, Resident, type ResidentClass } from './resident.ts';

export interface ClassEntry {
  readonly name: string;
  readonly ctor: ResidentClass<AnyResident>;
  /** Exactly the methods in the class's `static expose`, each with its compiled argument check. */
  readonly methods: ReadonlyMap<string, ArgsCheck>;
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
    if (!extendsResident(ctor)) throw new Error(`${name} must extend Resident`);
    if (typeof ctor.initial !== 'function') throw new Error(`${name} needs a static initial(key) method`);
    if (this.byName.has(name)) throw new Error(`two object classes are named ${name}; set static typeName`);
    const entry = { name, ctor, methods: exposedMethods(ctor, name), durable: ctor.durable, idleMs: ctor.idleMs };
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

/** The types let any class with an object's members through; only a Resident subclass can run as one. */
function extendsResident(ctor: ResidentClass): ctor is ResidentClass<AnyResident> {
  return ctor.prototype instanceof Resident;
}

/** An object's id, `<class>/<key>`: what its shard is hashed from and its state is stored under. */
export function objectId(entry: ClassEntry, key: string): string {
  return `${entry.name}/${key}`;
}

/** The method's argument check; throws UnknownMethod for a name the class does not expose. */
export function checkMethod(entry: ClassEntry, method: string): ArgsCheck {
  const check = entry.methods.get(method);
  if (!check) {
    throw new ResidentError(ErrorCode.UnknownMethod, `${entry.name} has no callable method ${JSON.stringify(method)}`);
  }
  return check;
}

export type { AnyResident };
