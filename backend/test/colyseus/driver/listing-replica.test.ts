import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IRoomCache } from '@colyseus/core';
import type { KvEntry } from '@nats-io/kv';
import { encodeListing, listingKey } from '../../../src/colyseus/driver/listing-codec.ts';
import { ListingReplica } from '../../../src/colyseus/driver/listing-replica.ts';
import { capturingLog, eventually, listing, silentLog } from './fixtures.ts';

// Watch and local events in the orders a real bucket produces only by chance, fed by hand.

type Stored = { revision: number; operation: KvEntry['operation']; value?: Uint8Array } | null;

function entry(
  key: string,
  revision: number,
  operation: KvEntry['operation'],
  value: Uint8Array = new Uint8Array(),
): KvEntry {
  const fields = { bucket: 'rooms', key, rawKey: key, value, created: new Date(), revision, operation };
  return { ...fields, length: value.length, json: () => JSON.parse(new TextDecoder().decode(value)), string: () => '' };
}

/** A replica whose bucket reads answer from `stored` and are counted. */
function replicaWith(stored: () => Stored | Promise<Stored>, log = silentLog) {
  const reads = { count: 0 };
  const replica = new ListingReplica({
    log,
    fetch: async (key) => {
      reads.count++;
      const s = await stored();
      return s === null ? null : entry(key, s.revision, s.operation, s.value);
    },
  });
  return { replica, reads };
}

function room(clients: number, name = 'arena'): { key: string; room: IRoomCache; bytes: Uint8Array } {
  const r = listing({ name, roomId: 'room-1', clients });
  return { key: listingKey(r.roomId), room: r, bytes: encodeListing(r) };
}

const put = (key: string, revision: number, bytes: Uint8Array) => entry(key, revision, 'PUT', bytes);

describe('ListingReplica: ordering of watch events and local writes', () => {
  it('a watch event older than a local write is ignored', () => {
    const { replica } = replicaWith(() => null);
    const v3 = room(3);
    const v5 = room(5);
    replica.wrote(v5.key, 5, v5.room);
    replica.observe(v3.key, put(v3.key, 3, v3.bytes));
    assert.equal(replica.get(v5.key)?.clients, 5);
  });

  it('a late watch PUT after a local delete does not list the room again; a newer one does', () => {
    const { replica } = replicaWith(() => null);
    const v = room(5);
    replica.wrote(v.key, 5, v.room);
    replica.removed(v.key, 5);
    replica.observe(v.key, put(v.key, 4, v.bytes));
    replica.observe(v.key, put(v.key, 5, v.bytes));
    assert.equal(replica.get(v.key), undefined, 'revisions up to the deleted one stay deleted');
    replica.observe(v.key, put(v.key, 7, room(7).bytes));
    assert.equal(replica.get(v.key)?.clients, 7, 'listed anew after the delete');
  });

  it('a watch delete older than an unconfirmed local write is settled by the bucket, which still holds the write', async () => {
    const { replica, reads } = replicaWith(() => ({ revision: 5, operation: 'PUT', value: room(5).bytes }));
    const v = room(5);
    replica.observe(v.key, put(v.key, 3, room(3).bytes));
    replica.wrote(v.key, 5, v.room);
    replica.observe(v.key, undefined); // the delete at revision 4, delivered after our write at 5
    assert.equal(replica.get(v.key)?.clients, 5, 'kept while the bucket is asked');
    await eventually('the bucket was read', () => reads.count === 1);
    assert.equal(replica.get(v.key)?.clients, 5, 'the bucket still holds revision 5');

    replica.observe(v.key, put(v.key, 5, v.bytes)); // the watch reaches our write
    replica.observe(v.key, undefined); // a delete after it
    assert.equal(replica.get(v.key), undefined, 'a delete after a confirmed revision removes at once');
    assert.equal(reads.count, 1, 'without asking the bucket');
  });

  it('a local write the watch never delivers (superseded by a delete) is dropped once the bucket says so', async () => {
    const { replica, reads } = replicaWith(() => ({ revision: 6, operation: 'DEL' }));
    const v = room(5);
    replica.wrote(v.key, 5, v.room);
    replica.observe(v.key, undefined); // history 1: revision 5 was gone before the watch got to it
    await eventually('dropped', () => replica.get(v.key) === undefined);
    assert.equal(reads.count, 1);
    replica.observe(v.key, put(v.key, 5, v.bytes));
    assert.equal(replica.get(v.key), undefined, 'a straggler from before the delete stays out');
  });

  it('a failed bucket read is retried until the delete is settled', async () => {
    let failures = 1;
    const { replica, reads } = replicaWith(() => {
      if (failures-- > 0) throw new Error('no responders');
      return null;
    });
    const v = room(5);
    replica.wrote(v.key, 5, v.room);
    replica.observe(v.key, undefined);
    await eventually('settled after a retry', () => replica.get(v.key) === undefined, 3_000);
    assert.equal(reads.count, 2);
  });

  it('a value that is not a listing replaces the listing under its key and is counted, logged once', () => {
    const captured = capturingLog();
    const { replica } = replicaWith(() => null, captured.log);
    const v = room(1);
    replica.observe(v.key, put(v.key, 1, v.bytes));
    replica.observe(v.key, put(v.key, 2, new TextEncoder().encode('{"half":')));
    replica.observe('other', put('other', 3, new TextEncoder().encode('[]')));
    assert.equal(replica.get(v.key), undefined);
    assert.equal(replica.garbage, 2);
    assert.equal(captured.lines.length, 1);
    replica.observe(v.key, put(v.key, 4, v.bytes));
    assert.equal(replica.get(v.key)?.clients, 1, 'a listing written over it counts again');
  });

  it('the by-name index follows a listing that changes name and one that goes', () => {
    const { replica } = replicaWith(() => null);
    const arena = room(1, 'arena');
    const lobby = room(1, 'lobby');
    replica.observe(arena.key, put(arena.key, 1, arena.bytes));
    assert.equal([...replica.rooms('arena')].length, 1);
    replica.observe(lobby.key, put(lobby.key, 2, lobby.bytes));
    assert.equal([...replica.rooms('arena')].length, 0);
    assert.equal([...replica.rooms('lobby')].length, 1);
    replica.observe(lobby.key, undefined);
    assert.equal([...replica.rooms('lobby')].length, 0);
    assert.equal([...replica.rooms()].length, 0);
  });
});
