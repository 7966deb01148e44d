import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MembershipView } from '../membership/member.ts';
import type { Refs } from '../ref.ts';
import type { AnyResident } from '../resident.ts';
import type { ResidentClass } from '../resident-class.ts';

/**
 * A node of the object runtime, as game code uses it: `get(Class, key)` returns a typed reference; calls go to the
 * object's owner node, wherever that is, and the object activates there on first use. Started by
 * `ObjectRuntime.start(options)`; the implementation and its internals are in internal.ts.
 */
export interface ObjectRuntime extends Refs {
  /** This node's id, unique in the cluster. */
  readonly nodeId: string;
  readonly log: Logger;
  /** The Prometheus registry the runtime's metrics are in: the one given as `metricsRegistry`, or its own. */
  readonly metricsRegistry: Registry;
  /** The nodes of the cluster, as this node sees them. */
  readonly membership: MembershipView;
  /** Objects active on this node right now. */
  readonly activeObjects: number;
  /** The node currently serving the object (or about to): what a HUD shows as "hosted on". */
  locate<T extends AnyResident>(cls: ResidentClass<T>, key: string): string | undefined;
  /** Graceful by default: hand every object to the other hosts (or store it, if none is left), then leave. */
  stop(opts?: { drain?: boolean }): Promise<void>;
}
