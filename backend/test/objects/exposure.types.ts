// Type-level tests of exposure, never run: `tsc --noEmit` (the root tsconfig includes backend/test) fails if a line
// marked as an expected error compiles, i.e. if the types stop refusing what registration and calls refuse.
import { z } from 'zod';
import { type ObjectRuntime, type Ref, type Refs, Resident } from '../../src/objects/index.ts';
import type { ResidentMembers } from '../../src/objects/internal.ts';

class Wallet extends Resident<{ coins: number }> {
  static readonly expose = {
    deposit: z.tuple([z.int().min(1).max(100)]),
    label: z.tuple([z.string().max(16), z.boolean().optional()]),
    balance: z.tuple([]),
  };
  static initial() {
    return { coins: 0 };
  }
  deposit(n: number): number {
    this.state.coins += n;
    return this.state.coins;
  }
  label(name: string, loud?: boolean): string {
    return loud ? name.toUpperCase() : name;
  }
  balance(): number {
    return this.state.coins;
  }
  /** Not exposed: callers cannot reach it. */
  audit(): number {
    return this.grantFree(0);
  }
  private grantFree(n: number): number {
    this.state.coins += n;
    return n;
  }
}

declare const wallet: Ref<typeof Wallet>;
export async function calls(): Promise<void> {
  const coins: number = await wallet.deposit(5);
  const text: string = await wallet.label('a', true);
  await wallet.label('a');
  await wallet.balance();
  // @ts-expect-error a public method that is not in `expose` is not on the reference
  await wallet.audit();
  // @ts-expect-error a private method is never on the reference
  await wallet.grantFree(1);
  // @ts-expect-error argument types come from the method's signature
  await wallet.deposit('5');
  // @ts-expect-error so does the argument count
  await wallet.balance(1);
  // @ts-expect-error and the result type (a promise of it)
  const wrong: string = await wallet.deposit(1);
  void [coins, text, wrong];
}

class ExposesPrivate extends Resident<{ n: number }> {
  static readonly expose = { grantFree: z.tuple([z.number()]) };
  static initial() {
    return { n: 0 };
  }
  audit(): number {
    return this.grantFree(0);
  }
  private grantFree(n: number): number {
    return n;
  }
}

class WrongSchema extends Resident<{ n: number }> {
  static readonly expose = { add: z.tuple([z.string()]) };
  static initial() {
    return { n: 0 };
  }
  add(n: number): number {
    return n;
  }
}

class MissingArgument extends Resident<{ n: number }> {
  static readonly expose = { add: z.tuple([z.number()]) };
  static initial() {
    return { n: 0 };
  }
  add(n: number, times?: number): number {
    return n * (times ?? 1);
  }
}

class ExposesHook extends Resident<{ n: number }> {
  static readonly expose = { onActivate: z.tuple([]) };
  static initial() {
    return { n: 0 };
  }
  override onActivate(): void {}
}

class NoExpose extends Resident<{ n: number }> {
  static initial() {
    return { n: 0 };
  }
  add(n: number): number {
    return n;
  }
}

declare const objects: Refs;
declare const runtime: ObjectRuntime;
export function classes(): void {
  objects.get(Wallet, 'k');
  runtime.get(Wallet, 'k');
  // @ts-expect-error a private method in expose
  objects.get(ExposesPrivate, 'k');
  // @ts-expect-error the same through the runtime
  runtime.get(ExposesPrivate, 'k');
  // @ts-expect-error a schema whose output does not fit the parameter
  objects.get(WrongSchema, 'k');
  // @ts-expect-error a schema that lists fewer arguments than the method takes
  objects.get(MissingArgument, 'k');
  // @ts-expect-error a lifecycle hook in expose
  objects.get(ExposesHook, 'k');
  // @ts-expect-error no static expose at all
  objects.get(NoExpose, 'k');
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The types exclude ResidentMembers' names from what a class may expose: they must be Resident's public members. */
export const residentMembersAreResidents: Same<Exclude<keyof Resident, symbol>, keyof ResidentMembers> = true;
