// Short messages that fade on their own: server "error" messages, failed joins, lost connections.
import { h } from './dom.ts';

let box: HTMLElement | undefined;

export function toast(text: string, kind: 'info' | 'error' = 'info', ms = 3500): void {
  if (!box) {
    box = h('div', { class: 'toasts', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const item = h('div', { class: `toast ${kind}`, 'data-testid': 'toast' }, text);
  box.append(item);
  setTimeout(() => item.classList.add('gone'), ms);
  setTimeout(() => item.remove(), ms + 400);
}
