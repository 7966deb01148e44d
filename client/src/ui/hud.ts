// The in-game overlay: score and mass, the room's top 10, ping/FPS and which nodes host the room and the player,
// the "reconnecting…" banner and the death screen. Plain DOM over the canvas, refreshed a few times a second.
import type { Profile } from '@resident/shared/game';
import type { FrameView } from '../game/match.ts';
import type { ArenaStateView } from '../net/arena-state.ts';
import { fill, h } from './dom.ts';

export interface HudNumbers {
  view: FrameView | undefined;
  state: ArenaStateView | undefined;
  myName: string;
  ping: number | undefined;
  fps: number;
  profile: Profile | undefined;
  roomId: string;
  privateRoom: boolean;
}

export class Hud {
  readonly el: HTMLElement;
  private readonly score = h('div', { class: 'score', 'data-testid': 'score' });
  private readonly top = h('ol', { class: 'top', 'data-testid': 'room-top' });
  private readonly stats = h('div', { class: 'stats-box', 'data-testid': 'net-stats' });
  private readonly banner = h('div', { class: 'banner hidden', 'data-testid': 'reconnecting' }, 'Reconnecting…');
  private readonly death = h('div', { class: 'death hidden', 'data-testid': 'death' });
  private deathTimer: ReturnType<typeof setInterval> | undefined;
  private peak = 0;

  constructor(actions: { leave: () => void; leaderboard: () => void }, chat: HTMLElement) {
    this.el = h(
      'div',
      { class: 'hud', 'data-screen': 'arena' },
      h(
        'div',
        { class: 'hud-top-left' },
        this.score,
        h(
          'div',
          { class: 'hud-buttons' },
          h('button', { class: 'btn small ghost', 'data-testid': 'leave', onclick: actions.leave }, '← Lobby'),
          h(
            'button',
            { class: 'btn small ghost', 'data-testid': 'hud-leaderboard', onclick: actions.leaderboard },
            'Leaderboard',
          ),
        ),
      ),
      h('div', { class: 'hud-top-right panel' }, h('div', { class: 'panel-title' }, 'Leaders'), this.top),
      h('div', { class: 'hud-bottom-right panel' }, this.stats),
      h('div', { class: 'hud-bottom-left' }, chat),
      this.banner,
      this.death,
    );
  }

  update(n: HudNumbers): void {
    const mass = n.view?.me?.mass ?? 0;
    if (n.view?.alive) this.peak = Math.max(this.peak, mass);
    fill(
      this.score,
      h('div', {}, 'Score ', h('b', {}, Math.round(this.peak))),
      h('div', { class: 'muted small' }, 'Mass ', h('b', { 'data-testid': 'mass' }, mass.toFixed(1))),
    );
    const top = n.state?.top ? [...n.state.top] : [];
    fill(
      this.top,
      ...top
        .slice(0, 10)
        .map((row) =>
          h(
            'li',
            { class: row.name === n.myName ? 'me' : '' },
            h('span', {}, row.name),
            h('b', {}, Math.round(row.mass)),
          ),
        ),
    );
    const players = n.state?.blobs?.size ?? 0;
    fill(
      this.stats,
      stat('Ping', n.ping === undefined ? '…' : `${Math.round(n.ping)} ms`, 'ping'),
      stat('FPS', String(Math.round(n.fps)), 'fps'),
      stat('Room', n.privateRoom ? `${n.roomId} (private)` : n.roomId, 'room-code'),
      stat('Room node', n.state?.node ?? '…', 'room-node'),
      stat('Player node', n.profile?.node ?? '…', 'player-node'),
      stat('In view', String(players), 'in-view'),
    );
  }

  reconnecting(on: boolean): void {
    this.banner.classList.toggle('hidden', !on);
  }

  died(by: string, respawnInMs: number): void {
    this.peak = 0;
    const until = Date.now() + respawnInMs;
    const render = () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      fill(
        this.death,
        h('div', { class: 'death-title' }, 'You were eaten'),
        h('div', {}, 'by ', h('b', {}, by || 'someone bigger')),
        h('div', { class: 'muted' }, left > 0 ? `Respawning in ${left}…` : 'Respawning…'),
      );
    };
    render();
    this.death.classList.remove('hidden');
    clearInterval(this.deathTimer);
    this.deathTimer = setInterval(render, 250);
  }

  alive(): void {
    if (this.death.classList.contains('hidden')) return;
    this.death.classList.add('hidden');
    clearInterval(this.deathTimer);
  }

  dispose(): void {
    clearInterval(this.deathTimer);
  }
}

function stat(label: string, value: string, testid: string): HTMLElement {
  return h(
    'div',
    { class: 'stat' },
    h('span', { class: 'stat-label' }, label),
    h('b', { 'data-testid': testid }, value),
  );
}
