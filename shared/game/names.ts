// Display names: normalised (NFKC, spaces collapsed), 2-16 letters, digits, spaces and `_ . -`, without invisible
// characters, and in one script, or one of the mixes a language needs (Unicode UTS #39, "highly restrictive"), so a
// name cannot imitate another with lookalike letters ("Аdmin" with a Cyrillic А).
import { LIMITS } from './protocol.ts';

const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u;

/** Letters that render as nothing (Hangul fillers), after NFKC. */
const INVISIBLE = /[\u115F\u1160\u3164\uFFA0]/u;

const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Cherokee',
  'Khmer',
  'Mongolian',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
].map((name) => ({ name, pattern: new RegExp(`^\\p{Script=${name}}$`, 'u') }));

/** Scripts that one name may mix: Japanese, Chinese with Bopomofo, Korean, each with Latin. */
const ALLOWED_MIXES = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

/** The scripts of a name's letters (digits and punctuation belong to none); letters of unlisted scripts are "Other". */
function scriptsOf(name: string): Set<string> {
  const scripts = new Set<string>();
  for (const ch of name) {
    if (!/\p{L}/u.test(ch) || /\p{Script=Common}|\p{Script=Inherited}/u.test(ch)) continue;
    scripts.add(SCRIPTS.find((s) => s.pattern.test(ch))?.name ?? 'Other');
  }
  return scripts;
}

function mixesScripts(name: string): boolean {
  const scripts = [...scriptsOf(name)];
  return scripts.length > 1 && !ALLOWED_MIXES.some((mix) => scripts.every((s) => mix.includes(s)));
}

/** A clean display name, or an error saying what is wrong with it. */
export function checkName(raw: unknown): { name: string } | { error: string } {
  if (typeof raw !== 'string') return { error: 'name must be a string' };
  const name = raw.normalize('NFKC').trim().replace(/\s+/g, ' ');
  const length = [...name].length;
  if (length < LIMITS.nameMin || length > LIMITS.nameMax) {
    return { error: `name must be ${LIMITS.nameMin}-${LIMITS.nameMax} characters` };
  }
  if (INVISIBLE.test(name)) return { error: 'name may not contain invisible characters' };
  if (!NAME_PATTERN.test(name)) return { error: 'name may contain letters, digits, spaces, "_", "." and "-"' };
  if (mixesScripts(name)) {
    return {
      error: 'name mixes letters of different scripts (like Latin and Cyrillic), which can imitate other names',
    };
  }
  return { name };
}
