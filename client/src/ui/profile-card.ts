// The player's profile: level, XP toward the next level, games played, best mass, and which node holds the Player.
import { type Profile, xpForLevel } from '@resident/shared/game';
import { fill, h, hex } from './dom.ts';

export function renderProfile(el: HTMLElement, p: Profile | undefined): void {
  if (!p) {
    fill(el, h('div', { class: 'muted' }, 'Loading profile…'));
    return;
  }
  const from = xpForLevel(p.level);
  const to = xpForLevel(p.level + 1);
  const progress = Math.min(100, Math.max(0, ((p.xp - from) / (to - from)) * 100));
  fill(
    el,
    h(
      'div',
      { class: 'profile-head' },
      h('span', { class: 'swatch', style: `background:${hex(p.color)}` }),
      h('strong', { 'data-testid': 'profile-name' }, p.name),
      h('span', { class: 'level', 'data-testid': 'profile-level' }, `Lv ${p.level}`),
    ),
    h('div', { class: 'xpbar' }, h('div', { style: `width:${progress.toFixed(1)}%` })),
    h('div', { class: 'muted small' }, `${p.xp} XP · next level at ${to}`),
    h(
      'dl',
      { class: 'stats' },
      h('dt', {}, 'Games'),
      h('dd', { 'data-testid': 'profile-games' }, p.gamesPlayed),
      h('dt', {}, 'Best mass'),
      h('dd', {}, Math.round(p.bestMass)),
      h('dt', {}, 'Eats'),
      h('dd', {}, p.totalEats),
      h('dt', {}, 'Player id'),
      h('dd', { class: 'mono', 'data-testid': 'profile-id' }, p.id),
      h('dt', {}, 'Player node'),
      h('dd', { class: 'mono' }, p.node),
    ),
  );
}
