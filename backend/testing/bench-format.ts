// The benchmark result format (shared/design/BENCHMARKS-FORMAT.md) as a schema, for the smoke runs of every bench
// script: they check that a result is well-formed, never what it measured.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const figure = z
  .looseObject({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'snake_case'),
    // A figure that could not be measured (NaN, Infinity) is written as null by JSON: refused here.
    value: z.number(),
    unit: z.string().min(1),
    baseline: z
      .strictObject({ name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'snake_case'), value: z.number() })
      .optional(),
    ratio: z.number().optional(),
    target: z.string().min(1).optional(),
    note: z.string().optional(),
  })
  .refine((f) => f.ratio === undefined || f.baseline !== undefined, 'a ratio needs its baseline')
  .refine((f) => f.ratio === undefined || !f.baseline || ratioHolds(f.value, f.baseline.value, f.ratio), {
    message: 'ratio is not value / baseline.value',
  });

/** The ratio, rounded to 2 digits, of the two values before each was rounded (at most 0.5 away). */
function ratioHolds(value: number, baseline: number, ratio: number): boolean {
  if (baseline === 0) return false;
  const slack = 0.005 + (0.5 + 0.5 * Math.abs(ratio)) / Math.abs(baseline);
  return Math.abs(ratio - value / baseline) <= slack + 1e-9;
}

export const benchResult = z.looseObject({
  bench: z.string().min(1),
  when: z.iso.datetime(),
  machine: z.looseObject({ cpus: z.number().int().positive(), memGiB: z.number(), node: z.string(), os: z.string() }),
  command: z.string().min(1),
  figures: z
    .array(figure)
    .min(1)
    .refine((fs) => new Set(fs.map((f) => f.name)).size === fs.length, 'figure names repeat'),
});

export type CheckedResult = z.infer<typeof benchResult>;

/** Reads a bench script's `--json` file: the result, or an error saying every way it is not well-formed. */
export function readBenchResult(file: string): CheckedResult {
  const parsed = benchResult.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a benchmark result:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
