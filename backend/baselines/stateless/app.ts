// The twin's HTTP API on Fastify: each route checks its token and body, then calls one operation. Errors answer
// as Resident's API does: `{ error, code }` with the status.
import type { LeaderboardEntry, Profile } from '@resident/shared/game';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { z } from 'zod';
import type { GuestClaims, GuestTokens } from '../../src/game/auth/guest-tokens.ts';
import { entrySchema } from '../../src/game/objects/leaderboard.ts';
import { eatCount, gameResult, playerName, xpAmount } from '../../src/game/objects/player.ts';
import { bearerToken, verifyGuest } from '../../src/node/guest-auth.ts';
import { HttpError } from '../../src/node/http-json.ts';
import type { RedisLeaderboard } from './leaderboard.ts';
import { type StatelessPlayers, UnknownPlayerError } from './players.ts';

export interface AppDeps {
  players: StatelessPlayers;
  leaderboard: RedisLeaderboard;
  tokens: GuestTokens;
  /** Largest request body in bytes; a larger one is refused with 413. */
  maxBodyBytes: number;
  /** Fastify's per-request logs are off: Resident's node does not log each request either. */
  logger: FastifyBaseLogger;
}

const grantBody = z.object({ xp: xpAmount, eats: eatCount });

/** Fastify's own refusals, with the codes Resident's API gives the same ones. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
};

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.maxBodyBytes,
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = asHttpError(err, deps.maxBodyBytes);
    if (e.status >= 500) request.log.error({ err }, 'request failed');
    return reply.code(e.status).send({ error: e.message, code: e.code });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url}`, code: 'not_found' }),
  );
  registerRoutes(app, deps);
  return app;
}

function registerRoutes(app: FastifyInstance, { players, leaderboard, tokens }: AppDeps): void {
  const auth = (request: FastifyRequest): GuestClaims =>
    verifyGuest(tokens, bearerToken(request.headers.authorization));
  app.get('/health', async () => ({ ok: true }));
  // A session starts: the player and its name come from the (verified) token, as a room join takes them.
  app.post('/api/enter', async (request): Promise<Profile> => {
    const claims = auth(request);
    return players.enter(claims.sub, parse(playerName, claims.name, 'token name'));
  });
  app.get('/api/profile', async (request): Promise<Profile> => players.profile(auth(request).sub));
  app.post('/api/grant', async (request, reply) => {
    const { sub } = auth(request);
    const { xp, eats } = parse(grantBody, request.body);
    await players.grant(sub, xp, eats);
    return reply.code(204).send();
  });
  app.post('/api/games', async (request): Promise<Profile> => {
    const { sub } = auth(request);
    return players.recordGame(sub, parse(gameResult, request.body));
  });
  app.post('/api/leaderboard', async (request): Promise<{ improved: boolean }> => {
    const { sub } = auth(request);
    const entry = parse(entrySchema, request.body);
    if (entry.id !== sub) throw new HttpError(403, 'not_your_player', 'a token submits only its own player');
    return { improved: await leaderboard.submit(entry) };
  });
  // Public, as Resident's GET /api/leaderboard is.
  app.get('/api/leaderboard', async (): Promise<LeaderboardEntry[]> => leaderboard.cachedTop());
}

/** The value as the schema reads it, or a 400 naming each field that is wrong. */
function parse<T>(schema: z.ZodType<T>, value: unknown, what = 'body'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`);
  throw new HttpError(400, 'bad_request', issues.join('; '));
}

function asHttpError(err: FastifyError, maxBodyBytes: number): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof UnknownPlayerError) return new HttpError(404, 'unknown_player', err.message);
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new HttpError(413, 'too_large', `request body over ${maxBodyBytes} bytes`);
  const status = err.statusCode ?? 500;
  if (status >= 500) return new HttpError(500, 'internal', 'internal error');
  return new HttpError(status, FASTIFY_CODES[err.code] ?? 'bad_request', err.message);
}
