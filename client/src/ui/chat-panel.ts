// Room chat: a short scrolling log and an input. Enter opens the input and sends; Escape gives the keys back to
// steering. Lines are text only (never HTML).
import { type ChatLine, LIMITS } from '@resident/shared/game';
import { h } from './dom.ts';

const KEEP_LINES = 60;

export class ChatPanel {
  readonly el: HTMLElement;
  private readonly log = h('div', { class: 'chat-log', 'data-testid': 'chat-log' });
  private readonly input = h('input', {
    class: 'chat-input',
    'data-testid': 'chat-input',
    placeholder: 'Press Enter to chat',
    maxlength: LIMITS.chatMaxLength,
    autocomplete: 'off',
  });
  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && document.activeElement !== this.input) {
      e.preventDefault();
      this.input.focus();
    }
  };

  constructor(
    private readonly mySessionId: () => string,
    send: (text: string) => void,
  ) {
    const form = h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          const text = this.input.value.trim();
          if (text) send(text);
          this.input.value = '';
          this.input.blur();
        },
      },
      this.input,
    );
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.input.blur();
    });
    this.el = h('div', { class: 'chat' }, this.log, form);
    window.addEventListener('keydown', this.onKey);
  }

  add(line: ChatLine): void {
    const mine = line.from === this.mySessionId();
    this.log.append(
      h(
        'div',
        { class: `chat-line${mine ? ' mine' : ''}` },
        h('b', { class: 'chat-name' }, `${line.name}: `),
        h('span', {}, line.text),
      ),
    );
    while (this.log.childElementCount > KEEP_LINES) this.log.firstElementChild?.remove();
    this.log.scrollTop = this.log.scrollHeight;
  }

  note(text: string): void {
    this.log.append(h('div', { class: 'chat-line note' }, text));
    this.log.scrollTop = this.log.scrollHeight;
  }

  dispose(): void {
    window.removeEventListener('keydown', this.onKey);
  }
}
