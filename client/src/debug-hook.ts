// A read-only window into the running client (`window.__resident`) for the browser tests and for curious players
// in the console: what screen is up, which room and node, where my blob is, what I see.
import type { App } from './app.ts';
import type { ArenaScene } from './scenes/arena-scene.ts';

export interface DebugSnapshot {
  screen: string;
  playerId: string | undefined;
  sessionId: string | undefined;
  roomId: string | undefined;
  roomNode: string | undefined;
  playerNode: string | undefined;
  reconnecting: boolean;
  failovers: number;
  inputsSent: number;
  me: { x: number; y: number; mass: number; alive: boolean; ack: number } | undefined;
  predicted: { x: number; y: number } | undefined;
  blobs: { id: string; name: string; x: number; y: number; mass: number }[];
  pellets: number;
  ping: number | undefined;
}

export function installDebugHook(app: App, scene: () => ArenaScene | undefined): void {
  const snapshot = (): DebugSnapshot => {
    const game = app.game;
    const c = game?.match.connection;
    const mine = game?.match.serverBlob();
    const predicted = game?.match.own.predicted;
    const view = scene()?.last;
    return {
      screen: app.screen,
      playerId: app.guest?.playerId,
      sessionId: c?.sessionId,
      roomId: c?.roomId,
      roomNode: c?.state?.node,
      playerNode: app.profile?.node,
      reconnecting: c?.reconnecting ?? false,
      failovers: c?.failovers ?? 0,
      inputsSent: game?.match.inputsSent ?? 0,
      me: mine && { x: mine.x, y: mine.y, mass: mine.mass, alive: mine.alive, ack: mine.ack },
      predicted: predicted && { x: predicted.x, y: predicted.y },
      blobs: (view?.blobs ?? []).map((b) => ({ id: b.id, name: b.name, x: b.x, y: b.y, mass: b.mass })),
      pellets: view?.pellets.length ?? 0,
      ping: c?.rtt,
    };
  };
  Object.defineProperty(window, '__resident', { get: snapshot, configurable: true });
}
