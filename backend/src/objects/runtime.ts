// The object runtime's public face: the interface game code uses, and how to start one. The implementation
// (runtime/runtime-impl.ts) is reached only through internal.ts.
import type { ObjectRuntime as Api } from './runtime/api.ts';
import type { RuntimeOptions } from './runtime/options.ts';
import { RuntimeImpl } from './runtime/runtime-impl.ts';

export type ObjectRuntime = Api;

export const ObjectRuntime = {
  /** Starts a node: the embedded single node, or, with `nats`, a member of a cluster. */
  start(options: RuntimeOptions): Promise<ObjectRuntime> {
    return RuntimeImpl.start(options);
  },
};

export type { RuntimeOptions };
