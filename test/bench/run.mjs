#!/usr/bin/env node
// Runs every benchmark in this folder (or those named on the command line) one after another, against the
// compiled code in dist/. Each prints its own markdown table of medians; this runner gathers them into
// bench-results/results.md and bench-results/results.json (with the machine, Node's version and the date)
// and exits non-zero when any benchmark did (a broken budget or a failed run).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.env.BENCH_OUT ?? join(here, '../../bench-results');
const figures = join(out, 'figures');
rmSync(out, { recursive: true, force: true });
mkdirSync(figures, { recursive: true });

const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
const date = new Date().toISOString();
let markdown = `# Benchmarks\n\n${date}, node ${machine.node}, ${machine.cores} x ${machine.cpu}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}\n`;
const status = {};

for (const file of benches) {
  console.log(`\n## ${file}\n`);
  const child = spawn(process.execPath, ['--expose-gc', join(here, file)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_RESULTS_DIR: figures } });
  let text = '';
  child.stdout.on('data', (d) => { text += d; process.stdout.write(d); });
  const code = await new Promise((resolve) => child.on('close', resolve));
  status[file] = code === 0 ? 'ok' : `exit ${code}`;
  markdown += `\n## ${file} (${status[file]})\n${text}`;
}

const results = Object.fromEntries(readdirSync(figures).map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(figures, f), 'utf8'))]));
writeFileSync(join(out, 'results.md'), markdown);
writeFileSync(join(out, 'results.json'), `${JSON.stringify({ date, machine, status, results }, null, 2)}\n`);
console.log(`\nwritten: ${join(out, 'results.md')}, ${join(out, 'results.json')}`);
process.exitCode = Object.values(status).every((s) => s === 'ok') ? 0 : 1;
