import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePorts } from '../process/ports.ts';

const ephemeralLow = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
})();

test('free ports are distinct, can be listened on, and lie below the ephemeral range outgoing sockets use', async (t) => {
  const ports = await freePorts(40);
  assert.equal(new Set(ports).size, 40);
  for (const port of ports.slice(0, 5)) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, resolve));
    await new Promise((resolve) => server.close(resolve));
  }
  if (ephemeralLow === undefined || ephemeralLow < 13_024) {
    t.skip('no Linux ephemeral range with room below it: ports are the kernel pick');
    return;
  }
  for (const port of ports) assert.ok(port >= ephemeralLow - 12_000 && port < ephemeralLow, `${port}`);
});

test('a port taken meanwhile is not handed out', async () => {
  const [taken] = await freePorts(1);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(taken, resolve));
  try {
    for (let i = 0; i < 20; i++) assert.ok(!(await freePorts(50)).includes(taken!));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
