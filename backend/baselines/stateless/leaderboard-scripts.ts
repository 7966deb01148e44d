// The leaderboard's two Lua scripts: each is one round trip and atomic (a submit's score and name change together;
// a read's names belong to its ids). Sent once, then called by SHA (node-redis's defineScript).
import { type CommandParser, defineScript } from '@redis/client';

/**
 * KEYS: the sorted set, the names hash. ARGV: id, name, score. Scores are negated bests (see leaderboard.ts), so
 * LT keeps a player's best; CH counts a changed score as well as a new member. The name is written only with it.
 */
const SUBMIT = `
if redis.call('ZADD', KEYS[1], 'LT', 'CH', ARGV[3], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`;

/** KEYS: the sorted set, the names hash. ARGV: how many. Returns id, score, name for each, flat. */
const TOP = `
local ranked = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
if #ranked == 0 then return {} end
local ids = {}
for i = 1, #ranked, 2 do ids[#ids + 1] = ranked[i] end
local names = redis.call('HMGET', KEYS[2], unpack(ids))
local out = {}
for i = 1, #ids do
  out[#out + 1] = ids[i]
  out[#out + 1] = ranked[2 * i]
  out[#out + 1] = names[i] or ''
end
return out`;

export const LEADERBOARD_SCRIPTS = {
  submitBest: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: SUBMIT,
    parseCommand(parser: CommandParser, keys: readonly [string, string], id: string, name: string, score: number) {
      parser.pushKeys([...keys]);
      parser.push(id, name, String(score));
    },
    transformReply: (reply: unknown) => reply === 1,
  }),
  readTop: defineScript({
    NUMBER_OF_KEYS: 2,
    IS_READ_ONLY: true,
    SCRIPT: TOP,
    parseCommand(parser: CommandParser, keys: readonly [string, string], count: number) {
      parser.pushKeys([...keys]);
      parser.push(String(count));
    },
    transformReply: (reply: unknown) => (reply as unknown[]).map(String),
  }),
};
