// Colours of the arena. Pellet colours are a palette index on the wire (0..7).
export const PELLET_COLORS = [0xff5964, 0xffe74c, 0x6bf178, 0x35a7ff, 0xc879ff, 0xff9f1c, 0x2ec4b6, 0xf15bb5];
export const BACKGROUND = 0x0f1420;
export const WORLD_FILL = 0x161d2e;
export const GRID = 0x222b40;
export const BORDER = 0xff4d6d;

export function pelletColor(index: number): number {
  return PELLET_COLORS[Math.abs(Math.trunc(index)) % PELLET_COLORS.length]!;
}

/** The same colour, darker: blob outlines. */
export function darker(color: number, factor = 0.7): number {
  const r = Math.round(((color >> 16) & 0xff) * factor);
  const g = Math.round(((color >> 8) & 0xff) * factor);
  const b = Math.round((color & 0xff) * factor);
  return (r << 16) | (g << 8) | b;
}
