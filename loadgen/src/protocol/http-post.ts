// A bot's HTTP POST over kept-alive connections (node:http). fetch cost about 0.5 ms of the generator's CPU per
// request (WHATWG streams, a new connection each time) and its garbage; at thousands of joins a second that alone
// would take more than the machine's two cores.

import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  text: string;
  retryAfter: string | undefined;
}

export class TimeoutError extends Error {}

/** How one request goes: its time limit, and the bot's own source address (the server counts seats per address). */
export interface Call {
  timeoutMs: number;
  localAddress?: string | undefined;
}

/**
 * One pool of kept-alive connections per node and source address (the agent keys its pools by both); sockets beyond the joins in flight are not kept. An idle one is
 * closed after 4 s, before uWebSockets.js closes it from its end (after 10 s idle), so a request seldom meets a
 * connection the server is closing.
 */
const agent = new Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo', timeout: 4000 });

/**
 * POSTs a JSON body. A request that fails on a reused connection the server had just closed (ECONNRESET before any
 * answer) is sent once more on a connection of its own, as an idle keep-alive connection can race the server's close
 * (and the pool's next idle one may be closing too).
 */
export async function post(url: URL, json: string, token: string | undefined, call: Call): Promise<HttpAnswer> {
  const deadline = performance.now() + call.timeoutMs;
  try {
    return await once(url, json, token, call, agent);
  } catch (err) {
    if (!(err as { retryable?: boolean }).retryable) throw err;
    return once(url, json, token, { ...call, timeoutMs: Math.max(1, deadline - performance.now()) }, false);
  }
}

function once(url: URL, json: string, token: string | undefined, call: Call, via: Agent | false): Promise<HttpAnswer> {
  const { timeoutMs, localAddress } = call;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'content-length': Buffer.byteLength(json),
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(url, { method: 'POST', agent: via, headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), retryAfter });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => {
      req.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      const code = (err as { code?: string }).code;
      if (req.reusedSocket && code === 'ECONNRESET') Object.assign(err, { retryable: true });
      reject(err);
    }
    req.on('error', fail);
    req.end(json);
  });
}
