import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitPolicy } from '../../src/objects/internal.ts';

/** How many of `rounds` groups of `size` the policy sends as batches. */
function batchedOf(policy: CommitPolicy, size: number, rounds: number): number {
  let batched = 0;
  for (let i = 0; i < rounds; i++) if (policy.batches(size)) batched++;
  return batched;
}

function feed(policy: CommitPolicy, singleMs: number | undefined, batchMs: number | undefined, times = 20): void {
  for (let i = 0; i < times; i++) {
    if (singleMs !== undefined) policy.sentSingly(singleMs);
    if (batchMs !== undefined) policy.sentBatch(batchMs);
  }
}

describe('CommitPolicy', () => {
  it('sends singly until it has seen what singles take, and never batches one append', () => {
    const policy = new CommitPolicy();
    assert.equal(batchedOf(policy, 200, 10), 0);
    feed(policy, 40, undefined);
    assert.equal(policy.batches(1), false);
  });

  it('batches while single writes wait behind each other (per-write fsync under load), with a single group now and then', () => {
    const policy = new CommitPolicy();
    feed(policy, 30, 8);
    const batched = batchedOf(policy, 64, 640);
    assert.ok(batched >= 620 && batched < 640, `${batched} of 640 groups batched`);
  });

  it('keeps singles while they are quicker than batches (interval sync), trying a batch now and then', () => {
    const policy = new CommitPolicy();
    feed(policy, 1.5, undefined);
    const batched = batchedOf(policy, 256, 640);
    assert.ok(batched > 0 && batched <= 10, `${batched} of 640 groups batched`);
    assert.equal(batchedOf(policy, 8, 640), 0, 'groups too small to gain are never tried');
  });

  it('follows the figures: slow batches send it back to singles, slow singles to batches', () => {
    const policy = new CommitPolicy();
    feed(policy, 30, 8);
    assert.equal(policy.batches(64), true);
    feed(policy, undefined, 60); // e.g. the server paused while batches were out
    assert.equal(policy.batches(64), false);
    feed(policy, 100, undefined);
    assert.equal(policy.batches(64), true);
  });
});
