// The node's own HTTP routes on the uWS app that Colyseus also serves: GET /health, and a 404 for
// paths nobody handles (Colyseus 0.18's uWS transport leaves those requests hanging forever).

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';

export interface RouteOptions {
  nodeId: string;
  uptimeSeconds: () => number;
  /** Whether Colyseus's router (matchmaking, `/`, `/__healthcheck`) handles this request. */
  isColyseusRoute: (method: string, url: string) => boolean;
}

export function registerRoutes(app: TemplatedApp, opts: RouteOptions): void {
  const health = (res: HttpResponse, req: HttpRequest) => {
    const body = JSON.stringify({ status: 'ok', node: opts.nodeId, uptime_s: opts.uptimeSeconds() });
    res.writeStatus('200 OK').writeHeader('content-type', 'application/json').writeHeader('cache-control', 'no-store');
    if (req.getMethod().toUpperCase() === 'HEAD') res.endWithoutBody();
    else res.end(body);
  };
  app.get('/health', health);
  app.head('/health', health);

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
