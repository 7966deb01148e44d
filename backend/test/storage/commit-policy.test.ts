import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitPolicy } from '../../src/objects/internal.ts';

/** Groups of `size` singles whose first ack came after `roundTrip` ms and the last after `roundTrip + size × each`. */
function feedSingles(policy: CommitPolicy, size: number, roundTrip: number, each: number, times = 10): void {
  for (let i = 0; i < times; i++) policy.sentSingly(size, roundTrip, roundTrip + size * each);
}

/** How many of `rounds` groups of `size` the policy sends as batches. */
function batchedOf(policy: CommitPolicy, size: number, rounds: number): number {
  let batched = 0;
  for (let i = 0; i < rounds; i++) if (policy.batches(size)) batched++;
  return batched;
}

describe('CommitPolicy', () => {
  it('sends singly until it has seen what singles cost, and never batches one append', () => {
    const policy = new CommitPolicy();
    assert.equal(batchedOf(policy, 200, 10), 0);
    feedSingles(policy, 64, 0.4, 0.22);
    assert.equal(policy.batches(1), false);
  });

  it('batches groups of a few dozen where each single costs a fsync (~0.2 ms), not a handful', () => {
    const policy = new CommitPolicy();
    feedSingles(policy, 64, 0.4, 0.22);
    assert.equal(policy.batches(32), true);
    assert.equal(policy.batches(256), true);
    assert.equal(batchedOf(policy, 8, 100), 0);
  });

  it('keeps singles where the server syncs on an interval (~0.02 ms each), but tries a batch now and then', () => {
    const policy = new CommitPolicy();
    feedSingles(policy, 256, 0.3, 0.016);
    const batched = batchedOf(policy, 256, 640);
    assert.ok(batched > 0 && batched <= 10, `${batched} of 640 groups batched`);
    assert.equal(batchedOf(policy, 8, 640), 0, 'groups too small to say anything are never tried');
  });

  it('stops batching after slow batches, and takes it up again once a tried batch is quick', () => {
    const policy = new CommitPolicy();
    feedSingles(policy, 64, 0.4, 0.22);
    for (let i = 0; i < 10; i++) policy.sentBatch(64, 60); // e.g. the server paused
    assert.equal(policy.batches(64), false);
    const tried = batchedOf(policy, 64, 64);
    assert.equal(tried, 1, 'one exploring batch in 64 groups');
    for (let i = 0; i < 10; i++) policy.sentBatch(64, 4.5);
    assert.equal(policy.batches(64), true);
  });
});
