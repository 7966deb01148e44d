// Records when another node's room listing reaches this node's NatsDriver replica (through the bucket watch), so
// the benchmark can tell how far behind the creating node the other nodes see a new room. Patches the replica's
// prototype in this benchmark process only; the driver behaves exactly as before.
import { ListingReplica } from '../src/colyseus/driver/listing-replica.ts';
import { record } from './ipc-trace.ts';

export function traceReplica(node: string): void {
  const observe = ListingReplica.prototype.observe;
  ListingReplica.prototype.observe = function (this: ListingReplica, key, entry) {
    const known = this.get(key) !== undefined;
    observe.call(this, key, entry);
    const room = this.get(key);
    if (!known && room) record({ kind: 'seen', roomId: room.roomId, node, at: Date.now() });
  };
}
