// Picks the first uWebSockets.js build that loads on this host.
// Kept free of side effects so tests can feed it failing loaders.

const REQUIREMENTS =
  'uWebSockets.js needs one of: the official v20.57 build (Node 20, 22, 24 or 25 on glibc >= 2.38, x64/arm64) ' +
  'or the compat v20.30 build (Node 16, 18 or 20 on glibc >= 2.27, x64/arm64/arm).';

function hostDescription(proc) {
  const glibc = proc.report?.getReport?.().header?.glibcVersionRuntime ?? 'unknown (not glibc?)';
  return `this host runs Node ${proc.version} (ABI ${proc.versions.modules}) on ${proc.platform}-${proc.arch} with glibc ${glibc}`;
}

/**
 * @param {{ name: string, load: () => unknown }[]} candidates in order of preference
 * @param {{ log?: (line: string) => void, proc?: NodeJS.Process }} [opts]
 */
function selectBuild(candidates, opts = {}) {
  const log = opts.log ?? ((line) => console.error(line));
  const proc = opts.proc ?? process;
  const failures = [];
  for (const candidate of candidates) {
    try {
      const mod = candidate.load();
      const fallbackNote = failures.length ? ` (after ${failures.map((f) => f.name).join(', ')} failed)` : '';
      log(`[uWebSockets.js] using ${candidate.name}${fallbackNote}`);
      return { name: candidate.name, module: mod };
    } catch (err) {
      failures.push({ name: candidate.name, reason: firstLine(err) });
    }
  }
  const tried = failures.map((f) => `  - ${f.name}: ${f.reason}`).join('\n');
  throw new Error(`No uWebSockets.js build loads: ${hostDescription(proc)}.\n${REQUIREMENTS}\nTried:\n${tried}`);
}

function firstLine(err) {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').find((l) => l.trim() !== '') ?? text;
}

module.exports = { selectBuild, REQUIREMENTS };
