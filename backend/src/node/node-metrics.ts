// The node's own metrics, beside the object runtime's (resident_*, with the NATS connection's state) and Node's
// defaults (process_*, nodejs_*, which include the event-loop lag): users and rooms as Colyseus counts them here.

import { matchMaker } from '@colyseus/core';
import { Gauge, type Registry } from 'prom-client';

export function registerNodeMetrics(registry: Registry): void {
  const registers = [registry];
  new Gauge({
    name: 'resident_users',
    help: 'Clients connected to rooms on this node (Colyseus CCU)',
    registers,
    collect() {
      this.set(matchMaker.stats.local.ccu);
    },
  });
  new Gauge({
    name: 'resident_rooms',
    help: 'Rooms on this node',
    registers,
    collect() {
      this.set(matchMaker.stats.local.roomCount);
    },
  });
}
