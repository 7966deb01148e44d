// Child process of bench:room: N bots in one arena room, each steering with protobuf inputs at a steady rate and
// counting the bytes its WebSocket receives. Prints one JSON line per phase on stdout.
import { encodeInput } from '@resident/shared/game';
import { guestLogin, sdkClient } from '../../testing/game-client.ts';

const [url, roomName, botsRaw, hzRaw, warmRaw, measureRaw] = process.argv.slice(2);
const BOTS = Number(botsRaw);
const HZ = Number(hzRaw);

async function bot(i: number, roomId: string | undefined) {
  const { token } = await guestLogin(url!, `Bot ${i}`);
  const client = sdkClient(url!, token);
  const room = roomId ? await client.joinById(roomId) : await client.create(roomName!);
  const counter = { bytes: 0 };
  for (const type of ['eaten', 'error', 'chat']) room.onMessage(type, () => undefined);
  const events = room.connection.events as { onmessage?: (ev: { data: ArrayBuffer }) => void };
  const original = events.onmessage;
  events.onmessage = (ev) => {
    counter.bytes += ev.data.byteLength;
    original?.(ev);
  };
  let seq = 0;
  let angle = Math.random() * 2 * Math.PI;
  const timer = setInterval(() => {
    if (Math.random() < 0.05) angle += (Math.random() - 0.5) * Math.PI;
    room.sendBytes('input', encodeInput({ seq: ++seq, dx: Math.cos(angle), dy: Math.sin(angle) }));
  }, 1000 / HZ);
  return { room, counter, stop: () => clearInterval(timer) };
}

const first = await bot(0, undefined);
const bots = [first];
for (let i = 1; i < BOTS; i++) bots.push(await bot(i, first.room.roomId));
process.stdout.write(`${JSON.stringify({ joined: bots.length, roomId: first.room.roomId })}\n`);
await new Promise((r) => setTimeout(r, Number(warmRaw)));
for (const b of bots) b.counter.bytes = 0;
process.stdout.write(`${JSON.stringify({ measuring: true })}\n`);
const started = performance.now();
await new Promise((r) => setTimeout(r, Number(measureRaw)));
const seconds = (performance.now() - started) / 1000;
const perClient = bots.map((b) => b.counter.bytes / seconds);
process.stdout.write(`${JSON.stringify({ done: true, bytesPerClientS: perClient })}\n`);
for (const b of bots) b.stop();
await Promise.allSettled(bots.map((b) => b.room.leave()));
process.exit(0);
