// The node's own HTTP routes on the uWS app that Colyseus also serves: /health (alive), /ready (serving), /metrics
// (Prometheus), and a 404 for paths nobody handles (Colyseus 0.18's uWS transport leaves those hanging forever).

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';

export interface RouteOptions {
  nodeId: string;
  /** The uWebSockets.js build serving this node, reported by /health (load reports name it). */
  uwsBuild: string;
  uptimeSeconds: () => number;
  /** Whether Colyseus's router (matchmaking, `/`, `/__healthcheck`) handles this request. */
  isColyseusRoute: (method: string, url: string) => boolean;
  ready: () => boolean;
  metrics: () => Promise<string>;
  /** More routes (the game's API, static files), registered before the catch-all 404. */
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
    const ready = opts.ready();
    res.writeStatus(ready ? '200 OK' : '503 Service Unavailable').writeHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ready, node: opts.nodeId }));
  });
  app.get('/metrics', (res) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    void opts.metrics().then((text) => {
      if (aborted) return;
      res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'text/plain; version=0.0.4').end(text));
    });
  });

  opts.extra?.(app);

  // uWS runs method-specific handlers before Colyseus's `any('/*')`; hand over (yield) when Colyseus has the route.
  // WebSocket upgrades never get here: the transport's `ws('/*')` handler outranks these.
  const notFound = (res: HttpResponse, req: HttpRequest) => {
    const method = req.getMethod().toUpperCase();
    if (opts.isColyseusRoute(method, req.getUrl())) {
      req.setYield(true);
      return;
    }
    res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain');
    if (method === 'HEAD') res.endWithoutBody();
    else res.end('not found\n');
  };
  for (const method of ['get', 'head', 'post', 'put', 'patch', 'del'] as const) {
    app[method]('/*', notFound);
  }
}
