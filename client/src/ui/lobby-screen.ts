// The lobby: quick play, private rooms, join by code, the live room list (polled), and the player's profile.
import type { Profile, RoomSummary } from '@resident/shared/game';
import type { JoinMode } from '../net/arena-connection.ts';
import { fill, h } from './dom.ts';
import { renderProfile } from './profile-card.ts';

export interface LobbyActions {
  join: (mode: JoinMode) => void;
  leaderboard: () => void;
  changeName: () => void;
}

export class LobbyScreen {
  readonly el: HTMLElement;
  private readonly rooms = h('tbody', { 'data-testid': 'room-list' });
  private readonly roomsNote = h('div', { class: 'muted small' }, 'Loading rooms…');
  private readonly profile = h('div', { class: 'profile', 'data-testid': 'profile' });
  private readonly buttons: HTMLButtonElement[] = [];

  constructor(
    name: string,
    private readonly actions: LobbyActions,
  ) {
    const code = h('input', {
      class: 'text-input code',
      placeholder: 'CODE',
      maxlength: 12,
      'data-testid': 'code-input',
      autocomplete: 'off',
    });
    const button = (label: string, cls: string, testid: string, onclick: () => void) => {
      const b = h('button', { class: `btn ${cls}`, 'data-testid': testid, onclick }, label);
      this.buttons.push(b);
      return b;
    };
    this.el = h(
      'section',
      { class: 'screen lobby', 'data-screen': 'lobby' },
      h(
        'header',
        { class: 'lobby-head' },
        h('h1', { class: 'logo small' }, 'resident', h('span', {}, '.io')),
        h(
          'div',
          { class: 'who' },
          'Playing as ',
          h('strong', { 'data-testid': 'lobby-name' }, name),
          h('button', { class: 'btn ghost small', onclick: actions.changeName }, 'change'),
        ),
      ),
      h(
        'div',
        { class: 'lobby-grid' },
        h(
          'div',
          { class: 'card play-card' },
          button('Quick play', 'primary big', 'quick-play', () => actions.join({ kind: 'quick' })),
          button('Create private room', 'secondary', 'create-private', () => actions.join({ kind: 'private' })),
          h(
            'form',
            {
              class: 'join-code',
              onsubmit: (e: Event) => {
                e.preventDefault();
                const typed = code.value.trim();
                // Private codes are upper case (CODE_LENGTH 6); people type them any way.
                if (typed)
                  actions.join({ kind: 'code', code: /^[a-z0-9]{6}$/i.test(typed) ? typed.toUpperCase() : typed });
              },
            },
            code,
            button('Join', 'secondary', 'join-code', () => undefined),
          ),
          h(
            'button',
            { class: 'btn ghost', 'data-testid': 'open-leaderboard', onclick: actions.leaderboard },
            'Leaderboard',
          ),
        ),
        h(
          'div',
          { class: 'card rooms-card' },
          h('h2', {}, 'Live rooms'),
          h(
            'table',
            { class: 'rooms' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Room'), h('th', {}, 'Players'), h('th', {}, 'Node'), h('th', {}))),
            this.rooms,
          ),
          this.roomsNote,
        ),
        h('div', { class: 'card profile-card' }, h('h2', {}, 'Profile'), this.profile),
      ),
    );
    renderProfile(this.profile, undefined);
  }

  /** Disables the join buttons while a join is in flight. */
  busy(on: boolean): void {
    for (const b of this.buttons) b.disabled = on;
  }

  setProfile(profile: Profile): void {
    renderProfile(this.profile, profile);
  }

  setRooms(rooms: RoomSummary[] | Error): void {
    if (rooms instanceof Error) {
      this.roomsNote.textContent = `Room list unavailable: ${rooms.message}`;
      return;
    }
    const visible = rooms.filter((r) => !r.private);
    this.roomsNote.textContent = visible.length === 0 ? 'No rooms yet: quick play starts one.' : '';
    fill(
      this.rooms,
      ...visible.map((r) =>
        h(
          'tr',
          { 'data-room': r.roomId },
          h('td', { class: 'mono' }, r.roomId),
          h('td', {}, `${r.clients}/${r.maxClients}`),
          h('td', { class: 'mono muted' }, r.node),
          h(
            'td',
            {},
            h(
              'button',
              {
                class: 'btn small secondary',
                disabled: r.clients >= r.maxClients,
                onclick: () => this.actions.join({ kind: 'code', code: r.roomId }),
              },
              'Join',
            ),
          ),
        ),
      ),
    );
  }
}
