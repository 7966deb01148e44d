// Colyseus 0.18's server reads the global `WebSocket` (its readyState constants) while reconnecting a client; Node 22
// has one built in, Node 20 does not. Give Node 20 the `ws` implementation so the same code runs on both.
import { WebSocket } from 'ws';

if (!('WebSocket' in globalThis)) Object.assign(globalThis, { WebSocket });
