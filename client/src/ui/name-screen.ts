// The first screen: pick a name. The guest token lives in localStorage, so this is skipped after a reload.
import { LIMITS } from '@resident/shared/game';
import { h } from './dom.ts';

export function nameScreen(opts: {
  name: string;
  onSubmit: (name: string) => Promise<string | undefined>;
}): HTMLElement {
  const input = h('input', {
    class: 'text-input',
    'data-testid': 'name-input',
    placeholder: 'Your name',
    maxlength: LIMITS.nameMax,
    autocomplete: 'nickname',
    autofocus: true,
    value: opts.name,
  });
  const error = h('div', { class: 'form-error', 'data-testid': 'name-error' });
  const button = h('button', { class: 'btn primary big', type: 'submit', 'data-testid': 'play' }, 'Play');
  const form = h(
    'form',
    {
      class: 'card name-card',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        button.disabled = true;
        error.textContent = (await opts.onSubmit(input.value)) ?? '';
        button.disabled = false;
      },
    },
    h('h1', { class: 'logo' }, 'resident', h('span', {}, '.io')),
    h('p', { class: 'tagline' }, 'Eat pellets. Grow. Swallow smaller blobs.'),
    input,
    error,
    button,
    h('p', { class: 'hint' }, 'Mouse, arrow keys / WASD, or touch to steer.'),
  );
  return h('section', { class: 'screen center', 'data-screen': 'name' }, form);
}
