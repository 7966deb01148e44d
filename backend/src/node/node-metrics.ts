// The node's own metrics, beside the object runtime's (resident_*) and Node's defaults (process_*, nodejs_*, which
// include the event-loop lag): users and rooms as Colyseus counts them here, and the NATS connection's state.

import { matchMaker } from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, Gauge, type Registry } from 'prom-client';

export function registerNodeMetrics(registry: Registry, nc: NatsConnection | undefined): void {
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
  if (nc) natsMetrics(registers, nc);
}

/** 1 while connected, 0 while the client reconnects; reconnects counted. The embedded node has no NATS. */
function natsMetrics(registers: Registry[], nc: NatsConnection): void {
  let connected = true;
  let reconnects = 0;
  new Gauge({
    name: 'resident_nats_connected',
    help: 'Whether this node is connected to NATS (1) or reconnecting (0)',
    registers,
    collect() {
      this.set(connected && !nc.isClosed() ? 1 : 0);
    },
  });
  new Counter({
    name: 'resident_nats_reconnects_total',
    help: 'Times this node reconnected to NATS',
    registers,
    collect() {
      this.reset();
      this.inc(reconnects);
    },
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') connected = false;
      else if (s.type === 'reconnect') {
        connected = true;
        reconnects++;
      }
    }
  })();
}
