// Draws the arena: the world and its bounds, pellets, blobs with their names, and a camera that follows the
// player's blob and zooms out as it grows (to the edge of what the server lets it see).
import { radius, viewHalfSize, WORLD_SIZE } from '@resident/shared/game';
import Phaser from 'phaser';
import type { DrawnBlob, FrameView, Match } from '../game/match.ts';
import { BACKGROUND, BORDER } from './palette.ts';
import { Pool } from './sprite-pool.ts';
import { BLOB_TEX_RADIUS, bakeGrid, blobTexture, DOT_TEX_RADIUS, GRID_TEX, pelletTexture } from './textures.ts';

const PELLET_RADIUS = 6;
const NAME_FONT_PX = 48;
const DEPTH = { pellet: 1, blob: 2, ring: 3, name: 4 } as const;

export class ArenaScene extends Phaser.Scene {
  private match: Match | undefined;
  private pellets!: Pool<Phaser.GameObjects.Image>;
  private blobs!: Pool<Phaser.GameObjects.Image>;
  private ring!: Phaser.GameObjects.Graphics;
  private readonly names = new Map<string, Phaser.GameObjects.Text>();
  private zoom = 1;
  /** The last drawn frame, read by the HUD and the debug hook. */
  last: FrameView | undefined;

  constructor() {
    super('arena');
  }

  create(): void {
    bakeGrid(this);
    this.cameras.main.setBackgroundColor(BACKGROUND);
    this.cameras.main.centerOn(WORLD_SIZE / 2, WORLD_SIZE / 2);
    this.add.tileSprite(0, 0, WORLD_SIZE, WORLD_SIZE, GRID_TEX).setOrigin(0, 0);
    this.add
      .graphics()
      .lineStyle(10, BORDER, 1)
      .strokeRect(-5, -5, WORLD_SIZE + 10, WORLD_SIZE + 10);
    this.ring = this.add.graphics().setDepth(DEPTH.ring);
    this.pellets = new Pool(() => this.add.image(0, 0, pelletTexture(this, 0)).setDepth(DEPTH.pellet));
    this.blobs = new Pool(() => this.add.image(0, 0, blobTexture(this, 0xffffff)));
  }

  setMatch(match: Match | undefined): void {
    this.match = match;
    this.last = undefined;
    for (const text of this.names.values()) text.destroy();
    this.names.clear();
  }

  override update(time: number): void {
    const view = this.match?.frame(time);
    this.last = view;
    this.pellets.begin();
    this.blobs.begin();
    this.ring.clear();
    if (view) {
      this.drawPellets(view);
      this.drawBlobs(view.blobs);
      if (view.me) this.follow(view.me.x, view.me.y, view.me.mass);
    }
    this.pellets.end();
    this.blobs.end();
  }

  private follow(x: number, y: number, mass: number): void {
    const cam = this.cameras.main;
    // Fit the server's area of interest to the longer screen side, so nothing pops in at the edges.
    const target = Math.max(cam.width, cam.height) / 2 / viewHalfSize(mass);
    this.zoom += (target - this.zoom) * 0.08;
    cam.setZoom(this.zoom);
    cam.centerOn(x, y);
  }

  private drawPellets(view: FrameView): void {
    const scale = PELLET_RADIUS / DOT_TEX_RADIUS;
    for (const p of view.pellets) {
      this.pellets.next().setTexture(pelletTexture(this, p.color)).setPosition(p.x, p.y).setScale(scale);
    }
  }

  private drawBlobs(blobs: DrawnBlob[]): void {
    const seen = new Set<string>();
    blobs.forEach((blob, order) => {
      const r = radius(blob.mass);
      this.blobs
        .next()
        .setPosition(blob.x, blob.y)
        .setTexture(blobTexture(this, blob.color))
        .setScale(r / BLOB_TEX_RADIUS)
        .setDepth(DEPTH.blob + order / (blobs.length + 1)); // bigger blobs (later) over smaller ones
      if (blob.mine) this.ring.lineStyle(3 / this.zoom, 0xffffff, 0.85).strokeCircle(blob.x, blob.y, r + 5 / this.zoom);
      this.drawName(blob, r);
      seen.add(blob.id);
    });
    for (const [id, text] of this.names) {
      if (seen.has(id)) continue;
      text.destroy();
      this.names.delete(id);
    }
  }

  private drawName(blob: DrawnBlob, r: number): void {
    let text = this.names.get(blob.id);
    if (!text) {
      text = this.add
        .text(0, 0, blob.name, {
          fontFamily: 'system-ui, sans-serif',
          fontSize: `${NAME_FONT_PX}px`,
          fontStyle: 'bold',
          color: '#ffffff',
          stroke: '#000000',
          strokeThickness: 8,
        })
        .setOrigin(0.5)
        .setDepth(DEPTH.name);
      this.names.set(blob.id, text);
    }
    if (text.text !== blob.name) text.setText(blob.name);
    // Names scale with the blob but stay readable on tiny ones.
    const size = Math.max(14 / this.zoom, r * 0.42);
    text.setScale(size / NAME_FONT_PX).setPosition(blob.x, blob.y);
  }
}
