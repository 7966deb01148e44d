// The arena's synchronized state. Blobs and pellets are view-tagged: each client receives only the ones in its
// area of interest (see arena/interest.ts); the room's top 10 goes to everyone.
import { type SchemaType, schema, t } from '@colyseus/schema';

export const Blob = schema(
  {
    id: t.string().default(''),
    name: t.string().default(''),
    color: t.uint32().default(0),
    x: t.float32().default(0),
    y: t.float32().default(0),
    mass: t.float32().default(0),
    ack: t.uint32().default(0),
    alive: t.boolean().default(true),
  },
  'Blob',
);
export type Blob = SchemaType<typeof Blob>;

export const Pellet = schema(
  { x: t.uint16().default(0), y: t.uint16().default(0), color: t.uint8().default(0) },
  'Pellet',
);
export type Pellet = SchemaType<typeof Pellet>;

export const TopEntry = schema({ name: t.string().default(''), mass: t.uint32().default(0) }, 'TopEntry');
export type TopEntry = SchemaType<typeof TopEntry>;

export const ArenaState = schema(
  {
    node: t.string().default(''),
    code: t.string().default(''),
    tick: t.uint32().default(0),
    blobs: t.map(Blob).view(),
    pellets: t.map(Pellet).view(),
    top: t.array(TopEntry),
  },
  'ArenaState',
);
export type ArenaState = SchemaType<typeof ArenaState>;
