// The node's integration tests on the image's Node 24 with the official uWebSockets.js build: a join, a room that
// survives its node, an object failover, and the build selection itself. They run in the image's build stage (the
// runtime stage has no dev dependencies), on this checkout's sources.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podmanUnusable } from './podman.ts';
import { testInImage } from './test-in-image.ts';

const FILES = [
  'test/uws-select.test.ts',
  'test/game/join-ack.test.ts',
  'test/colyseus/room-failover.test.ts',
  'test/objects/failover.test.ts',
];
const skip = podmanUnusable();

test('join, room failover and object failover pass on Node 24 in the image', {
  skip: skip ?? false,
  timeout: 20 * 60_000,
}, () => {
  const run = testInImage(FILES);
  const tail = run.output.trim().split('\n').slice(-30).join('\n');
  assert.equal(run.status, 0, tail);
  assert.match(run.output, /^ℹ fail 0$/m, tail);
  // uws-select's own tests on this runtime: the official build is the one that loads.
  assert.doesNotMatch(run.output, /using compat/, tail);
});
