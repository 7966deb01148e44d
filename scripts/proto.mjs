// Regenerates shared/proto/*.json from the .proto sources; the JSON is what browser and Node import.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const dir = new URL('../shared/proto/', import.meta.url);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.proto'))) {
  const root = protobuf.parse(readFileSync(new URL(file, dir), 'utf8'), { keepCase: true }).root;
  const out = new URL(file.replace(/\.proto$/, '.json'), dir);
  writeFileSync(out, `${JSON.stringify(root.toJSON(), null, 2)}\n`);
  console.log(`wrote ${out.pathname}`);
}
