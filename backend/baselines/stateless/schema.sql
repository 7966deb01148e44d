-- The stateless twin's table: one row per player, the same fields as Resident's PlayerState.
-- The primary key is the only index a lookup by id needs; the leaderboard lives in Redis.
CREATE TABLE IF NOT EXISTS players (
  -- "C": ids are base64url, so byte order is all a key needs, and it is the cheapest comparison.
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  color integer NOT NULL,
  xp bigint NOT NULL DEFAULT 0,
  games_played integer NOT NULL DEFAULT 0,
  best_mass integer NOT NULL DEFAULT 0,
  total_eats bigint NOT NULL DEFAULT 0
-- Every grant rewrites a row: free room in each page keeps those updates HOT (no index write, no page hop).
) WITH (fillfactor = 80);
