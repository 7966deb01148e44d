/**
 * Redis glob patterns (`PUBSUB CHANNELS pattern`): `*`, `?`, `[abc]`, `[^a]`, `[a-z]`, and `\x` for a literal x.
 * Case-sensitive like Redis. One difference: `?` matches one character here, one byte in Redis.
 *
 * Patterns arrive from other nodes over NATS, so matching must stay cheap for any pattern: a RegExp built from
 * `*a*a*a…b` backtracks exponentially (one such message hung every node). This matcher is linear in the pattern
 * for each step through the name: O(pattern × name) at worst.
 */
export type GlobMatcher = (name: string) => boolean;

/** Any character, or one character that passes a test. */
type Token = typeof STAR | ((c: string) => boolean);
const STAR = Symbol('*');

export function globMatcher(pattern: string): GlobMatcher {
  const tokens = compile([...pattern]);
  return (name) => matches(tokens, [...name]);
}

function compile(chars: string[]): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') {
      if (tokens.at(-1) !== STAR) tokens.push(STAR);
    } else if (c === '?') tokens.push(() => true);
    else if (c === '\\' && i + 1 < chars.length) tokens.push(literal(chars[++i]!));
    else if (c === '[') {
      const end = classEnd(chars, i + 1);
      if (end < 0) tokens.push(literal('['));
      else {
        tokens.push(charClass(chars.slice(i + 1, end)));
        i = end;
      }
    } else tokens.push(literal(c));
  }
  return tokens;
}

/** Greedy with one backtrack point (the last star): a later star never needs an earlier one to match more. */
function matches(tokens: readonly Token[], name: readonly string[]): boolean {
  let t = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token === STAR) {
      star = t++;
      resume = n;
    } else if (token?.(name[n]!)) {
      t++;
      n++;
    } else if (star >= 0) {
      t = star + 1;
      n = ++resume;
    } else return false;
  }
  while (tokens[t] === STAR) t++;
  return t === tokens.length;
}

function literal(c: string): (x: string) => boolean {
  return (x) => x === c;
}

/** Index of the `]` that closes a class opened before `from`, or -1 (an unclosed `[` is a literal). */
function classEnd(chars: string[], from: number): number {
  for (let i = from; i < chars.length; i++) {
    if (chars[i] === '\\') i++;
    else if (chars[i] === ']') return i;
  }
  return -1;
}

/** An empty class matches nothing, as in Redis; `[^]` (negated empty) matches any character in both. */
function charClass(body: string[]): (x: string) => boolean {
  const negate = body[0] === '^';
  const items = negate ? body.slice(1) : body;
  const ranges: [number, number][] = [];
  for (let i = 0; i < items.length; i++) {
    let c = items[i]!;
    if (c === '\\' && i + 1 < items.length) c = items[++i]!;
    if (items[i + 1] === '-' && i + 2 < items.length) {
      ranges.push(range(c, items[i + 2]!));
      i += 2;
    } else ranges.push(range(c, c));
  }
  return (x) => {
    const code = x.codePointAt(0)!;
    return ranges.some(([lo, hi]) => code >= lo && code <= hi) !== negate;
  };
}

/** Redis accepts reversed ranges (`[z-a]`). */
function range(a: string, b: string): [number, number] {
  const lo = a.codePointAt(0)!;
  const hi = b.codePointAt(0)!;
  return lo <= hi ? [lo, hi] : [hi, lo];
}
