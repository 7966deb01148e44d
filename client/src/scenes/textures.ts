// Textures baked once at start: drawing sprites is far cheaper than rebuilding Graphics geometry every frame
// (which matters on phones and on software-rendered WebGL).
import type Phaser from 'phaser';
import { GRID, WORLD_FILL } from './palette.ts';

export const TEX = { blob: 'blob', dot: 'dot', grid: 'grid' } as const;
/** Radius in pixels of the blob texture; sprites are scaled to the blob's radius. */
export const BLOB_TEX_RADIUS = 128;
export const DOT_TEX_RADIUS = 16;
export const GRID_STEP = 50;

export function bakeTextures(scene: Phaser.Scene): void {
  const g = scene.make.graphics({}, false);
  // A white disc with a light-grey rim: tinted with the blob's colour, the rim reads as a darker outline.
  const r = BLOB_TEX_RADIUS;
  g.fillStyle(0xb0b0b0, 1).fillCircle(r + 2, r + 2, r);
  g.fillStyle(0xffffff, 1).fillCircle(r + 2, r + 2, r * 0.9);
  g.generateTexture(TEX.blob, 2 * r + 4, 2 * r + 4);
  g.clear();
  g.fillStyle(0xffffff, 1).fillCircle(DOT_TEX_RADIUS + 1, DOT_TEX_RADIUS + 1, DOT_TEX_RADIUS);
  g.generateTexture(TEX.dot, 2 * DOT_TEX_RADIUS + 2, 2 * DOT_TEX_RADIUS + 2);
  g.clear();
  g.fillStyle(WORLD_FILL, 1).fillRect(0, 0, GRID_STEP, GRID_STEP);
  g.lineStyle(2, GRID, 1).lineBetween(0, 0, GRID_STEP, 0).lineBetween(0, 0, 0, GRID_STEP);
  g.generateTexture(TEX.grid, GRID_STEP, GRID_STEP);
  g.destroy();
}
