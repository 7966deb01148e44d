// The per-object table of recent call ids on its own, with the clock passed in: the bounds a network peer could
// otherwise stretch (a deadline of days, ids without end) hold whatever a frame claims.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { ErrorCode, ObjectRuntime, Resident, ResidentError } from '../../src/objects/index.ts';
import { CallSeqs, MAX_REMEMBERED_CALLS, type ObjectTurn, RecentCalls } from '../../src/objects/internal.ts';
import { quietLog, waitFor } from '../../testing/support.ts';

/** A call's turn that records how it was answered. */
function turn(deadline: number, settledBelow = 0): ObjectTurn & { answers: unknown[] } {
  const answers: unknown[] = [];
  return {
    chain: 'c',
    deadline,
    settledBelow,
    answers,
    run: () => undefined,
    settle: (err: ResidentError | undefined, result?: unknown) => answers.push(err ? err.code : result),
  };
}

/** Runs a call through the table as an activation does; true if it ran (was not a resend). */
function runOnce(table: RecentCalls, key: string, now: number, deadline: number, result: unknown, acked = 0): boolean {
  const t = turn(deadline, acked);
  if (table.intercept(t, key, now)) return false;
  table.ran(key, undefined, result);
  table.settle(t, key, undefined);
  return true;
}

describe('recent call ids', () => {
  test('a deadline claimed far in the future is remembered for at most about a minute', () => {
    const table = new RecentCalls();
    const now = 1_000_000;
    assert.equal(runOnce(table, 'p/1/1', now, now + 10 * 24 * 3600_000, 1), true);
    assert.equal(runOnce(table, 'p/1/1', now + 30_000, now + 10 * 24 * 3600_000, 1), false, 'still remembered');
    assert.equal(runOnce(table, 'p/1/1', now + 63_000, now + 10 * 24 * 3600_000, 1), true, 'forgotten after 62 s');
  });

  test('however many distinct ids arrive, the table holds at most its bound and sweeps to empty', () => {
    const table = new RecentCalls();
    const now = 1_000_000;
    for (let i = 0; i < 10 * MAX_REMEMBERED_CALLS; i++) runOnce(table, `p/1/${i}`, now, now + 5000, i);
    assert.ok(table.size <= MAX_REMEMBERED_CALLS, `${table.size} ids kept`);
    assert.equal(table.sweep(now + 1000), false);
    assert.equal(table.sweep(now + 8000), true, 'nothing left after the window');
  });

  test('a resend of a call still running waits for its outcome, and a failed commit forgets the id', () => {
    const table = new RecentCalls();
    const first = turn(5000);
    const resend = turn(5000);
    assert.equal(table.intercept(first, 'p/1/1', 0), false);
    assert.equal(table.intercept(resend, 'p/1/1', 1), true);
    table.ran('p/1/1', undefined, 7);
    assert.deepEqual(resend.answers, [], 'not answered before the outcome is stored');
    table.settle(first, 'p/1/1', { code: 'CommitFailed' } as ResidentError);
    assert.deepEqual([first.answers, resend.answers], [['CommitFailed'], ['CommitFailed']]);
    assert.equal(runOnce(table, 'p/1/1', 2, 5000, 8), true, 'the call did not happen, so it may run');
  });
});

/** Throws CommitFailed (as a nested call's failure thrown on would) while `failures` lasts. */
class Flaky extends Resident<{ runs: number }> {
  static readonly expose = { run: z.tuple([]) };
  static failures = 0;
  static initial() {
    return { runs: 0 };
  }
  run() {
    this.state.runs++;
    if (Flaky.failures-- > 0) throw new ResidentError(ErrorCode.CommitFailed, 'a call this call made was not stored');
    return this.state.runs;
  }
}

describe('acknowledged call ids', () => {
  const now = 1_000_000;
  const deadline = now + 5000;

  test("a caller's acknowledgement forgets its answered ids below it, and nothing else", () => {
    const table = new RecentCalls();
    for (let seq = 1; seq <= 5; seq++) runOnce(table, `p/1/${seq}`, now, deadline, seq);
    assert.equal(table.size, 5);
    assert.equal(runOnce(table, 'p/1/6', now, deadline, 6, 4), true);
    assert.equal(table.size, 3, 'ids 1-3 forgotten; 4, 5 and 6 kept');
    assert.equal(runOnce(table, 'p/1/4', now, deadline, 0, 4), false, 'id 4 (not acknowledged) is still answered');
    assert.equal(runOnce(table, 'p/1/3', now, deadline, 0, 4), true, 'id 3 is forgotten: it would run again');
  });

  test('an id still running or storing is kept even if acknowledged, and its resend gets its outcome', () => {
    const table = new RecentCalls();
    const first = turn(deadline);
    assert.equal(table.intercept(first, 'p/1/1', now), false);
    assert.equal(runOnce(table, 'p/1/2', now, deadline, 2, 2), true, 'a later call acknowledging id 1');
    const resend = turn(deadline);
    assert.equal(table.intercept(resend, 'p/1/1', now), true, 'still known: the resend waits');
    table.ran('p/1/1', undefined, 7);
    table.settle(first, 'p/1/1', undefined);
    assert.deepEqual([first.answers, resend.answers], [[7], [7]]);
  });

  test('an acknowledgement only reaches ids of its own caller node and epoch', () => {
    const table = new RecentCalls();
    for (const caller of ['p/1', 'p/2', 'q/1']) runOnce(table, `${caller}/5`, now, deadline, 5);
    runOnce(table, 'q/1/900', now, deadline, 0, 900); // q acknowledges up to 900: only q/1/5 goes
    runOnce(table, 'p/3/900', now, deadline, 0, 900); // p in another epoch: nothing of epoch 1 or 2 goes
    assert.equal(runOnce(table, 'p/1/5', now, deadline, 0), false, "p's id in epoch 1 is still answered");
    assert.equal(runOnce(table, 'p/2/5', now, deadline, 0), false, "p's id in epoch 2 is still answered");
    assert.equal(runOnce(table, 'q/1/5', now, deadline, 0), true, "q's own acknowledged id is forgotten");
  });

  test('sequence numbers wrap: an acknowledgement just past the wrap covers the ids just before it', () => {
    const table = new RecentCalls();
    runOnce(table, 'p/1/4294967294', now, deadline, 1);
    runOnce(table, 'p/1/4294967295', now, deadline, 2);
    assert.equal(runOnce(table, 'p/1/2', now, deadline, 3, 2), true);
    assert.equal(table.size, 1, 'both ids before the wrap forgotten');
    runOnce(table, 'p/1/3', now, deadline, 4, 1); // an older acknowledgement (reordered frames) forgets nothing more
    assert.equal(table.size, 2);
  });

  test('ids restored from a stored table are forgotten by their caller acknowledging them', () => {
    const table = new RecentCalls();
    assert.equal(
      table.restore(
        [
          ['p/1/5', deadline, null],
          ['p/1/9', deadline, null],
          ['odd', deadline, null],
        ],
        now,
      ),
      0,
    );
    runOnce(table, 'p/1/9', now, deadline, 0, 9);
    assert.equal(table.size, 2, 'p/1/5 forgotten; p/1/9 kept (answered from the table) and the odd key kept');
  });
});

describe("a caller's acknowledgement", () => {
  test('never passes a call that is not settled, however the others settle', () => {
    const seqs = new CallSeqs(0);
    const [a, b, c] = [seqs.take(), seqs.take(), seqs.take()];
    assert.equal(seqs.settledBelow(), a);
    seqs.settle(b, true, 0);
    assert.equal(seqs.settledBelow(), a, 'b is settled, but a (below it) is not');
    seqs.settle(a, true, 0);
    assert.equal(seqs.settledBelow(), c);
    seqs.settle(c, true, 0);
    assert.equal(seqs.settledBelow(), c + 1, 'nothing open: everything taken so far');
  });

  test('a call given up without an answer is acknowledged only once the owners stop remembering it', async () => {
    const seqs = new CallSeqs(30);
    const seq = seqs.take();
    seqs.settle(seq, false, Date.now()); // timed out: a copy may still be queued on its owner
    assert.equal(seqs.settledBelow(), seq, 'still open just after its deadline');
    await waitFor(() => seqs.settledBelow() === seq + 1, 5000, 'the call to be acknowledged');
  });
});

describe('errors a caller resends on', () => {
  test('a call that throws CommitFailed on is not remembered: the resend runs it again rather than replaying it', async () => {
    const rt = await ObjectRuntime.start({ classes: [Flaky], log: quietLog(), callTimeoutMs: 2000 });
    try {
      Flaky.failures = 1;
      assert.equal(await rt.get(Flaky, 'f').run(), 2, 'ran twice: the failed run, then the resend');
    } finally {
      await rt.stop({ drain: false });
    }
  });
});
