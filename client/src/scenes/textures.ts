// Textures baked once (per colour) and drawn as images: far cheaper than rebuilding Graphics geometry every frame,
// and coloured in the texture itself because the canvas renderer ignores tints.
import type Phaser from 'phaser';
import { darker, GRID, pelletColor, WORLD_FILL } from './palette.ts';

/** Radius in pixels of a blob texture; images are scaled to the blob's radius. */
export const BLOB_TEX_RADIUS = 96;
export const DOT_TEX_RADIUS = 12;
export const GRID_STEP = 50;
export const GRID_TEX = 'grid';

export function bakeGrid(scene: Phaser.Scene): void {
  const g = scene.make.graphics({}, false);
  g.fillStyle(WORLD_FILL, 1).fillRect(0, 0, GRID_STEP, GRID_STEP);
  g.lineStyle(2, GRID, 1).lineBetween(0, 0, GRID_STEP, 0).lineBetween(0, 0, 0, GRID_STEP);
  g.generateTexture(GRID_TEX, GRID_STEP, GRID_STEP);
  g.destroy();
}

/** The texture key of a blob of `color` (0xRRGGBB): a disc with a darker rim. */
export function blobTexture(scene: Phaser.Scene, color: number): string {
  const key = `blob-${color}`;
  if (scene.textures.exists(key)) return key;
  const r = BLOB_TEX_RADIUS;
  const g = scene.make.graphics({}, false);
  g.fillStyle(darker(color), 1).fillCircle(r + 2, r + 2, r);
  g.fillStyle(color, 1).fillCircle(r + 2, r + 2, r * 0.9);
  g.generateTexture(key, 2 * r + 4, 2 * r + 4);
  g.destroy();
  return key;
}

/** The texture key of a pellet of palette index `index`. */
export function pelletTexture(scene: Phaser.Scene, index: number): string {
  const color = pelletColor(index);
  const key = `dot-${color}`;
  if (scene.textures.exists(key)) return key;
  const g = scene.make.graphics({}, false);
  g.fillStyle(color, 1).fillCircle(DOT_TEX_RADIUS + 1, DOT_TEX_RADIUS + 1, DOT_TEX_RADIUS);
  g.generateTexture(key, 2 * DOT_TEX_RADIUS + 2, 2 * DOT_TEX_RADIUS + 2);
  g.destroy();
  return key;
}
