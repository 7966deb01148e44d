// The global leaderboard (top 100 best masses across every room and node), in a modal.
import type { LeaderboardEntry } from '@resident/shared/game';
import { h } from './dom.ts';

export async function showLeaderboard(load: () => Promise<LeaderboardEntry[]>, myId?: string): Promise<void> {
  const body = h('div', { class: 'muted' }, 'Loading…');
  const close = () => overlay.remove();
  const overlay: HTMLElement = h(
    'div',
    { class: 'modal-backdrop', onclick: (e: Event) => e.target === overlay && close() },
    h(
      'div',
      { class: 'card modal', 'data-testid': 'leaderboard' },
      h(
        'div',
        { class: 'modal-title' },
        h('h2', {}, 'Global leaderboard'),
        h('button', { class: 'btn ghost', onclick: close }, '✕'),
      ),
      body,
    ),
  );
  document.body.append(overlay);
  try {
    const rows = await load();
    body.replaceWith(
      rows.length === 0
        ? h('div', { class: 'muted' }, 'Nobody yet. Be the first!')
        : h(
            'ol',
            { class: 'board' },
            ...rows.map((r) =>
              h('li', { class: r.id === myId ? 'me' : '' }, h('span', {}, r.name), h('b', {}, Math.round(r.bestMass))),
            ),
          ),
    );
  } catch (err) {
    body.textContent = `Could not load the leaderboard: ${(err as Error).message}`;
  }
}
