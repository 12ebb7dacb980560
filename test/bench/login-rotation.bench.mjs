// Benchmark of the Login collector finishing a large rotated btmp. Build first: `npx tsc -p .`, then
// `node --expose-gc test/bench/login-rotation.bench.mjs` (run.mjs passes --expose-gc).
// For each size, writes a btmp of real failed-login records, marks it read from 0, rotates it to btmp.1
// under a new btmp, and polls the real FileSource (readIncrement) until the new file is reached.
// Shows polls needed, records read against records written, the live heap + external memory after the largest
// poll (after gc, while its observations are still held; over the heap before the first poll) and the largest RSS seen,
// median of RUNS runs. Bounded reading means the live heap stays about the same whatever the file size.
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSource } from '../../dist/collectors/login/login-sources.js';
import { MAX_READ_BYTES } from '../../dist/collectors/login/incremental-file.js';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES_MIB = (process.env.SIZES_MIB ?? '16,64').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 3);
const RECORD = 384;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const gc = globalThis.gc ?? (() => {});
const mib = (bytes) => bytes / 1024 / 1024;

const record = readFileSync(join(here, '../fixtures/login/btmp-basic.bin')).subarray(0, RECORD);

async function once(sizeMib) {
  const dir = mkdtempSync(join(tmpdir(), 'login-bench-'));
  try {
    const path = join(dir, 'btmp');
    const count = Math.floor((sizeMib * 1024 * 1024) / RECORD);
    // written 1 MiB at a time, so building the file does not inflate the RSS measured below
    const perChunk = Math.floor((1024 * 1024) / RECORD);
    const chunk = Buffer.concat(Array.from({ length: perChunk }, () => record));
    writeFileSync(path, '');
    for (let left = count; left > 0; left -= perChunk) appendFileSync(path, left >= perChunk ? chunk : chunk.subarray(0, left * RECORD));
    const source = new FileSource(path, 'btmp');
    const st = statSync(path);
    let mark = { inode: st.ino, offset: 0, size: 0 };
    renameSync(path, `${path}.1`);
    writeFileSync(path, '');
    const fresh = statSync(path).ino;
    gc();
    const base = process.memoryUsage();
    const baseHeap = base.heapUsed + base.external;
    let peakHeap = 0;
    let peakRss = 0;
    let polls = 0;
    let read = 0;
    while (mark.inode !== fresh) {
      const r = await source.poll(mark, false, Date.now());
      polls++;
      read += r.observations.length;
      gc(); // what one poll keeps alive (its observations) rather than garbage left behind
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed + m.external - baseHeap);
      peakRss = Math.max(peakRss, m.rss);
      mark = r.mark;
      if (polls > 10_000) throw new Error('no progress');
    }
    return { count, read, polls, peakHeap, peakRss };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`chunk ${mib(MAX_READ_BYTES)} MiB, ${RUNS} runs per size, Node ${process.version}\n`);
console.log('| rotated btmp | records written | records read | polls | live heap + external after the largest poll, MiB (median) | peak RSS, MiB (median) |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const size of SIZES_MIB) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(size));
  const last = runs[runs.length - 1];
  const lost = runs.some((r) => r.read !== r.count);
  console.log(`| ${size} MiB | ${last.count} | ${last.read}${lost ? ' (LOST RECORDS)' : ''} | ${last.polls} | ${mib(median(runs.map((r) => r.peakHeap))).toFixed(1)} | ${mib(median(runs.map((r) => r.peakRss))).toFixed(1)} |`);
  if (lost) process.exitCode = 1;
}
