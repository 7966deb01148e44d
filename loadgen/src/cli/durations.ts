// Durations on the command line: "90" (seconds), "90s", "5m", "1h", "500ms".

import { UsageError } from './usage-error.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(raw: string | undefined, flag: string, fallbackMs: number, minMs: number, maxMs: number) {
  if (raw === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : Number.NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw new UsageError(
      `${flag} must be a duration from ${formatMs(minMs)} to ${formatMs(maxMs)} (e.g. 90s, 5m), got ${JSON.stringify(raw)}`,
    );
  }
  return Math.round(ms);
}

export function formatMs(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10}s`;
  return `${ms}ms`;
}

export function parseInteger(raw: string | undefined, flag: string, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.replace(/_/g, '')) ? Number(raw.replace(/_/g, '')) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `${flag} must be an integer from ${min} to ${max.toLocaleString('en-US')}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export function parseFraction(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isNaN(value)) throw new UsageError(`${flag} must be a fraction from 0 to 1, got ${JSON.stringify(raw)}`);
  return value;
}
