import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ErrorCode, ObjectRuntime, ResidentError } from '../../src/objects/index.ts';
import { toResidentError } from '../../src/objects/internal.ts';
import { ALL, Counter } from '../../testing/fixtures.ts';
import { quietLog, rejection } from '../../testing/support.ts';

describe('toResidentError: the one normaliser', () => {
  test('a ResidentError keeps its code and message, and is returned as it is when it has a chain', () => {
    const err = new ResidentError(ErrorCode.NotOwner, 'moved', 'n1:1');
    assert.equal(toResidentError(err), err);
    assert.equal(toResidentError(err, 'n2:7'), err, 'the chain it happened in wins');
  });

  test('a ResidentError without a chain gains the given one, and keeps the original as cause', () => {
    const err = new ResidentError(ErrorCode.BadArguments, 'refused');
    assert.equal(toResidentError(err), err);
    const chained = toResidentError(err, 'n1:2');
    assert.deepEqual(
      [chained.code, chained.message, chained.chain, chained.cause],
      [err.code, err.message, 'n1:2', err],
    );
    assert.equal(chained.retryable, false);
  });

  test('any other Error is an Application error named after it, with its chain and cause', () => {
    const thrown = new TypeError('x is not a function');
    const err = toResidentError(thrown, 'n1:3');
    assert.equal(err.code, ErrorCode.Application);
    assert.equal(err.message, 'TypeError: x is not a function');
    assert.equal(err.chain, 'n1:3');
    assert.equal(err.cause, thrown);
  });

  test('a thrown non-Error becomes its string', () => {
    const err = toResidentError('plain string');
    assert.deepEqual(
      [err.code, err.message, err.chain, err.cause],
      [ErrorCode.Application, 'plain string', undefined, 'plain string'],
    );
    assert.equal(toResidentError(undefined).message, 'undefined');
  });
});

describe('errors through the runtime', () => {
  const runtimes: ObjectRuntime[] = [];
  after(async () => {
    for (const rt of runtimes) await rt.stop({ drain: false });
  });

  test("an object's exception reaches its caller as an Application error with the call's chain and the cause", async () => {
    const rt = await ObjectRuntime.start({ classes: ALL, log: quietLog() });
    runtimes.push(rt);
    const err = await rejection(rt.get(Counter, 'e').fail('boom'));
    assert.equal(err.code, ErrorCode.Application);
    assert.equal(err.message, 'Error: boom');
    assert.match(err.chain ?? '', new RegExp(`^${rt.nodeId}:`));
    assert.ok(err.cause instanceof Error && err.cause.message === 'boom', 'the original error, on this node');
  });
});
