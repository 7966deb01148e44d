// The Phaser game: one full-window canvas that resizes with the window; the arena scene draws whatever match is set.
import Phaser from 'phaser';
import { ArenaScene } from './arena-scene.ts';
import { BACKGROUND } from './palette.ts';

export function createGame(parent: HTMLElement): { game: Phaser.Game; scene: () => ArenaScene | undefined } {
  const game = new Phaser.Game({
    type: useCanvasRenderer() ? Phaser.CANVAS : Phaser.AUTO,
    parent,
    backgroundColor: BACKGROUND,
    scale: { mode: Phaser.Scale.RESIZE, width: '100%', height: '100%' },
    scene: [ArenaScene],
    banner: false,
    fps: { target: 60 },
    render: { antialias: true },
  });
  return { game, scene: () => game.scene.getScene('arena') as ArenaScene | undefined };
}

/**
 * WebGL emulated in software (no GPU: SwiftShader, llvmpipe) blocks the main thread for tens of ms per frame, which
 * also delays inputs and pings; the 2D canvas renderer is several times faster there. `?renderer=webgl|canvas`
 * overrides the choice.
 */
function useCanvasRenderer(): boolean {
  const forced = new URLSearchParams(window.location.search).get('renderer');
  if (forced) return forced === 'canvas';
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    if (!gl) return true;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|software|basic render/i.test(renderer);
  } catch {
    return false;
  }
}
