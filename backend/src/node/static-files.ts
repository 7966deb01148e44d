// Serves the built browser client from memory: read once at start, so no request can reach the file system.

import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

const MISSING = `<!doctype html><title>Resident</title><p>The browser client is not built.
Run <code>npm run build -w client</code> (or <code>npm start</code>, which builds it) and reload.</p>`;

/** Registers `/` and one route per file; returns how many files are served (0: the client is not built). */
export function registerStatic(app: TemplatedApp, dir: string): number {
  const files = existsSync(dir) ? listFiles(dir) : [];
  for (const file of files) {
    const body = readFileSync(file);
    const path = `/${relative(dir, file).split('\\').join('/')}`;
    // Vite fingerprints assets, so they can be cached for good; index.html must always be fresh.
    const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const serve = (res: HttpResponse) => {
      res.writeHeader('content-type', type).writeHeader('cache-control', cache).end(body);
    };
    app.get(path, serve);
    if (path === '/index.html') app.get('/', serve);
  }
  if (!files.some((f) => f.endsWith('index.html'))) {
    app.get('/', (res) => {
      res.writeHeader('content-type', 'text/html; charset=utf-8').end(MISSING);
    });
  }
  return files.length;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [full];
  });
}
