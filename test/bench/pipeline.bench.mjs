// Pipeline benchmark: aggregation ingest rate and disk outbox append+ack rate.
// Run: npx tsc -p . && node test/bench/pipeline.bench.mjs   (imports the compiled code in dist/)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline } from '../../dist/src/pipeline/pipeline.js';
import { openOutbox } from '../../dist/src/outbox/open-outbox.js';
import { MemoryOutbox } from '../../dist/src/outbox/memory-outbox.js';
import { CheckpointFile } from '../../dist/src/pipeline/checkpoint.js';
import { systemClock } from '../../dist/src/clock.js';
import { silentLogger } from '../../dist/src/log.js';

const RUNS = Number(process.env.RUNS ?? 5);
const log = silentLogger();
const agent = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function events(n, distinct) {
  return Array.from({ length: n }, (_, i) => ({
    name: 'ProcessCreate', category: 'Triggered', eventType: 'Security', time: 1_700_000_000_000 + i,
    aggregationKey: `/usr/bin/cmd --flag ${i % distinct}\u00000`,
    payload: [{ Executable: '/usr/bin/cmd', ProcessId: i, ParentProcessId: 1, UserId: '0', CommandLine: `/usr/bin/cmd --flag ${i % distinct}` }],
  }));
}

async function ingestRate(distinct, cacheSize) {
  const N = 1_000_000;
  const evs = events(N, distinct);
  const outbox = new MemoryOutbox({ clock: systemClock, log, messageTimeoutMs: 1e9 });
  const p = new Pipeline({ clock: systemClock, log, outbox, agent });
  p.configure({ High: 3.6e6, Medium: 3.6e6, Low: 3.6e6 }, [{ name: 'Process', frequency: 'High', cacheSize }]);
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) p.ingest('Process', evs[i]);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  await p.stop();
  return N / s;
}

async function outboxRate(batch) {
  const N = 4_000;
  const dir = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
  const outbox = await openOutbox({ dir, clock: systemClock, log, messageTimeoutMs: 1e9, maxBytes: 200 * 1024 * 1024 });
  if (outbox.mode !== 'disk') throw new Error('expected a disk outbox');
  const body = Buffer.alloc(16 * 1024, 'x');
  const t = process.hrtime.bigint();
  // `batch` messages per append share one fdatasync, as the messages packed in one tick do; each is
  // then peeked (read back from disk) and acknowledged one by one, as the delivery loop does.
  const bodies = Array.from({ length: batch }, () => body);
  for (let i = 0; i < N; i += batch) {
    await outbox.append(bodies);
    for (let j = 0; j < batch; j++) {
      const m = await outbox.peek();
      await outbox.ack(m.seq);
    }
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  await outbox.close();
  rmSync(dir, { recursive: true, force: true });
  return N / s;
}

/** Writing (temp file, rename) and reading back a checkpoint of 5 full caches of 256 events each. */
async function checkpointRate(kind) {
  const N = 50;
  const dir = mkdtempSync(join(tmpdir(), 'bench-checkpoint-'));
  const file = new CheckpointFile(join(dir, 'checkpoint.bin'), log);
  const held = new Map(['Process', 'Login', 'NetworkActivity', 'FileSystem', 'Custom'].map((name) => [name,
    events(256, 1e9).map((event) => ({ event, count: 3, first: event.time, last: event.time + 1000 }))]));
  await file.save(held, Date.now());
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    if (kind === 'save') await file.save(held, Date.now());
    else if ((await file.load()).size !== 5) throw new Error('checkpoint did not load');
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  rmSync(dir, { recursive: true, force: true });
  return N / s;
}

const cases = [
  ['aggregation ingest, 1,000 distinct keys (events/s)', () => ingestRate(1_000, 256_000), 500_000],
  ['aggregation ingest, all distinct, cache 256 full (events/s)', () => ingestRate(1e9, 256), 500_000],
  ['disk outbox append + peek + ack, 16 KB, 16 messages per append (messages/s)', () => outboxRate(16), 2_000],
  ['disk outbox append + peek + ack, 16 KB, 1 message per append, fsync-bound (messages/s)', () => outboxRate(1), 0],
  ['checkpoint write, 5 x 256 held events (writes/s)', () => checkpointRate('save'), 0],
  ['checkpoint read and check, 5 x 256 held events (reads/s)', () => checkpointRate('load'), 0],
];

console.log(`| case | median of ${RUNS} runs | target | pass |`);
console.log('| --- | ---: | ---: | --- |');
let failed = false;
for (const [name, fn, target] of cases) {
  const xs = [];
  for (let r = 0; r < RUNS; r++) xs.push(await fn());
  const m = median(xs);
  failed ||= m < target;
  const goal = target > 0 ? target.toLocaleString('en-US') : '(info)';
  console.log(`| ${name} | ${Math.round(m).toLocaleString('en-US')} | ${goal} | ${target === 0 ? '-' : m >= target ? 'yes' : 'NO'} |`);
}
process.exitCode = failed ? 1 : 0;
