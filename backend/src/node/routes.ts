// The node's own HTTP routes on the uWS app that Colyseus also serves: /health (alive), /ready (serving), /metrics
// (Prometheus, optionally behind a bearer token), and the answer for requests no route takes: 405 with Allow when
// the path exists with other methods, else 404. Every request gets an answer, whatever its method.

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS } from './http-json.ts';

export interface RouteOptions {
  nodeId: string;
  /** The uWebSockets.js build serving this node, reported by /health (load reports name it). */
  uwsBuild: string;
  uptimeSeconds: () => number;
  /** Why the node is not serving, or undefined while it is. */
  unready: () => string | undefined;
  /** More routes (the game's API, static files). */
  extra?: (app: TemplatedApp) => void;
}

export function registerRoutes(app: TemplatedApp, opts: RouteOptions): void {
  const health = (res: HttpResponse, req: HttpRequest) => {
    const body = JSON.stringify({
      status: 'ok',
      node: opts.nodeId,
      uptime_s: opts.uptimeSeconds(),
      uws: opts.uwsBuild,
    });
    res.writeStatus('200 OK').writeHeader('content-type', 'application/json').writeHeader('cache-control', 'no-store');
    if (req.getMethod().toUpperCase() === 'HEAD') res.endWithoutBody();
    else res.end(body);
  };
  app.get('/health', health);
  app.head('/health', health);
  app.get('/ready', (res) => {
    const why = opts.unready();
    res.writeStatus(why ? '503 Service Unavailable' : '200 OK').writeHeader('content-type', 'application/json');
    res.end(JSON.stringify(why ? { ready: false, node: opts.nodeId, why } : { ready: true, node: opts.nodeId }));
  });
  opts.extra?.(app);
}

/** `GET /metrics` on `app`; with a token, only for `Authorization: Bearer <token>`. */
export function registerMetrics(app: TemplatedApp, metrics: () => Promise<string>, token?: string): void {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  app.get('/metrics', (res, req) => {
    if (expected && !timingSafeEqual(digest(req.getHeader('authorization')), expected)) {
      res.writeStatus(STATUS[401]!).writeHeader('www-authenticate', 'Bearer').end('metrics need a bearer token\n');
      return;
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    void metrics().then((text) => {
      if (aborted) return;
      res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'text/plain; version=0.0.4').end(text));
    });
  });
}

// Hashed first, so the comparison takes the same time whatever the lengths.
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

const TRACKED = {
  get: 'GET',
  head: 'HEAD',
  post: 'POST',
  put: 'PUT',
  patch: 'PATCH',
  del: 'DELETE',
  options: 'OPTIONS',
};

/**
 * Which methods each path answers, learnt by watching the app's route registrations (uWS cannot be asked), so a
 * request with another method can be told which ones exist. Call `track` before registering routes.
 */
export class RouteTable {
  private readonly routes: { method: string; pattern: RegExp }[] = [];

  track(app: TemplatedApp): void {
    for (const [name, method] of Object.entries(TRACKED) as [keyof typeof TRACKED, string][]) {
      const register = app[name].bind(app);
      app[name] = ((pattern: string, handler: Parameters<TemplatedApp['get']>[1]) => {
        this.routes.push({ method, pattern: patternRegExp(pattern) });
        return register(pattern, handler);
      }) as TemplatedApp['get'];
    }
  }

  /** Methods some route answers for this URL. */
  allowed(url: string): string[] {
    return this.routes.filter((r) => r.pattern.test(url)).map((r) => r.method);
  }
}

/** A uWS route pattern (`/a/:param/b`, `/prefix/*`) as a regular expression. */
function patternRegExp(pattern: string): RegExp {
  const source = pattern
    .split('/')
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

/** The answer for a request no route took: 405 with the path's methods when it has any, else 404. */
export function answerUnrouted(res: HttpResponse, req: HttpRequest, allowed: readonly string[]): void {
  const method = req.getMethod().toUpperCase();
  const methods = [...new Set(allowed)].sort();
  const notAllowed = methods.some((m) => m !== 'OPTIONS');
  res.writeStatus(STATUS[notAllowed ? 405 : 404]!).writeHeader('content-type', 'text/plain');
  if (notAllowed) res.writeHeader('allow', methods.join(', '));
  if (method === 'HEAD') res.endWithoutBody(0);
  else res.end(notAllowed ? `method ${method} not allowed here; allowed: ${methods.join(', ')}\n` : 'not found\n');
}
