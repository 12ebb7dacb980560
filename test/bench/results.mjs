// Where a benchmark leaves its figures for run.mjs: one JSON file per benchmark in BENCH_RESULTS_DIR.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function recordResult(name, figures) {
  const dir = process.env.BENCH_RESULTS_DIR;
  if (dir) writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}
