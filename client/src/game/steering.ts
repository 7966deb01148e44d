// Turns mouse, keyboard and touch into one steering vector (length ≤ 1). The player's blob sits at the centre of
// the screen, so a pointer steers toward itself; keys override the pointer while held; touch steers while a finger
// is down. Keys typed into a text field (chat) never steer.
import type { Steer } from '@resident/shared/game';

const KEYS: Record<string, [number, number]> = {
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  KeyW: [0, -1],
  KeyS: [0, 1],
  KeyA: [-1, 0],
  KeyD: [1, 0],
};
/** Pointer distance from the centre, as a share of the shorter screen side, that means full speed. */
const FULL_SPEED_AT = 0.25;
const DEAD_ZONE_PX = 8;

function typingInField(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
  );
}

export class Steering {
  private readonly held = new Set<string>();
  private pointer: Steer = { dx: 0, dy: 0 };
  private readonly cleanup: (() => void)[] = [];

  constructor(private readonly surface: HTMLElement) {
    this.listen(window, 'keydown', (e) => this.onKey(e as KeyboardEvent, true));
    this.listen(window, 'keyup', (e) => this.onKey(e as KeyboardEvent, false));
    this.listen(window, 'blur', () => this.held.clear());
    this.listen(surface, 'pointermove', (e) => this.onPointer(e as PointerEvent));
    this.listen(surface, 'pointerdown', (e) => this.onPointer(e as PointerEvent));
    this.listen(surface, 'pointerup', (e) => this.onPointerEnd(e as PointerEvent));
    this.listen(surface, 'pointercancel', (e) => this.onPointerEnd(e as PointerEvent));
    this.listen(surface, 'touchmove', (e) => e.preventDefault(), { passive: false }); // no page scroll or zoom
  }

  /** The steering vector right now. */
  current(): Steer {
    if (this.held.size === 0) return this.pointer;
    let dx = 0;
    let dy = 0;
    for (const code of this.held) {
      const [x, y] = KEYS[code]!;
      dx += x;
      dy += y;
    }
    const len = Math.hypot(dx, dy);
    return len === 0 ? { dx: 0, dy: 0 } : { dx: dx / len, dy: dy / len };
  }

  dispose(): void {
    for (const off of this.cleanup.splice(0)) off();
  }

  private listen(target: EventTarget, type: string, fn: (e: Event) => void, opts?: AddEventListenerOptions): void {
    target.addEventListener(type, fn, opts);
    this.cleanup.push(() => target.removeEventListener(type, fn, opts));
  }

  private onKey(e: KeyboardEvent, down: boolean): void {
    if (!(e.code in KEYS)) return;
    if (down && typingInField(e.target)) return;
    if (down) {
      this.held.add(e.code);
      e.preventDefault();
    } else this.held.delete(e.code);
  }

  private onPointer(e: PointerEvent): void {
    if (e.pointerType === 'touch' && e.buttons === 0 && e.type === 'pointermove') return;
    const rect = this.surface.getBoundingClientRect();
    const ox = e.clientX - (rect.left + rect.width / 2);
    const oy = e.clientY - (rect.top + rect.height / 2);
    const dist = Math.hypot(ox, oy);
    if (dist < DEAD_ZONE_PX) {
      this.pointer = { dx: 0, dy: 0 };
      return;
    }
    const full = Math.min(rect.width, rect.height) * FULL_SPEED_AT;
    const strength = Math.min(1, dist / full);
    this.pointer = { dx: (ox / dist) * strength, dy: (oy / dist) * strength };
  }

  private onPointerEnd(e: PointerEvent): void {
    if (e.pointerType === 'touch') this.pointer = { dx: 0, dy: 0 }; // lift the finger to stop; a mouse keeps steering
  }
}
