/**
 * Redis glob patterns (`PUBSUB CHANNELS pattern`) as a RegExp: `*`, `?`, `[abc]`, `[^a]`, `[a-z]`, and `\x` for a
 * literal x. Case-sensitive like Redis. One difference: `?` matches one character here, one byte in Redis.
 */
export function globToRegExp(pattern: string): RegExp {
  const chars = [...pattern];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') out += '[^]*';
    else if (c === '?') out += '[^]';
    else if (c === '\\' && i + 1 < chars.length) out += escapeOutside(chars[++i]!);
    else if (c === '[') {
      const end = classEnd(chars, i + 1);
      if (end < 0) out += '\\[';
      else {
        out += charClass(chars.slice(i + 1, end));
        i = end;
      }
    } else out += escapeOutside(c);
  }
  return new RegExp(`^${out}$`, 'u');
}

/** Index of the `]` that closes a class opened before `from`, or -1 (an unclosed `[` is a literal). */
function classEnd(chars: string[], from: number): number {
  for (let i = from; i < chars.length; i++) {
    if (chars[i] === '\\') i++;
    else if (chars[i] === ']') return i;
  }
  return -1;
}

function charClass(body: string[]): string {
  const negate = body[0] === '^';
  const items = negate ? body.slice(1) : body;
  let out = '';
  for (let i = 0; i < items.length; i++) {
    let c = items[i]!;
    if (c === '\\' && i + 1 < items.length) c = items[++i]!;
    if (items[i + 1] === '-' && i + 2 < items.length) {
      out += range(c, items[i + 2]!);
      i += 2;
    } else out += escapeInside(c);
  }
  // An empty class matches nothing in Redis; `[^]` (negated empty) matches any character in both.
  return `[${negate ? '^' : ''}${out}]`;
}

/** Redis accepts reversed ranges (`[z-a]`); a RegExp would throw. */
function range(a: string, b: string): string {
  const [lo, hi] = a.codePointAt(0)! <= b.codePointAt(0)! ? [a, b] : [b, a];
  return `${escapeInside(lo)}-${escapeInside(hi)}`;
}

function escapeOutside(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeInside(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}
