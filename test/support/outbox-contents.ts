/** Reads what an agent's outbox holds, without touching the agent's own directory. */
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { openOutbox } from '../../src/outbox/open-outbox.js';
import { parseSegmentName, scanRecords } from '../../src/outbox/segment-file.js';

export interface OutboxMessageCopy { seq: number; body: Buffer }

/** Every message a restart would deliver: opens a COPY of `dir` (acknowledging there consumes it) and walks it. */
export async function pendingMessages(dir: string): Promise<OutboxMessageCopy[]> {
  const copy = await mkdtemp(join(tmpdir(), 'outbox-copy-'));
  try {
    await cp(dir, copy, { recursive: true });
    const outbox = await openOutbox({ dir: copy, messageTimeoutMs: 24 * 3_600_000, clock: systemClock, log: silentLogger() });
    const out: OutboxMessageCopy[] = [];
    try {
      for (let m = await outbox.peek(); m !== undefined; m = await outbox.peek()) {
        out.push({ seq: m.seq, body: m.body });
        await outbox.ack(m.seq);
      }
    } finally {
      await outbox.close();
    }
    return out;
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

export interface SegmentRecord { seq: number; body: Buffer; bodyOffset: number; bodyLength: number }
export interface SegmentContents { path: string; records: SegmentRecord[] }

/** The intact records of every segment file, oldest segment first. */
export async function readSegments(dir: string): Promise<SegmentContents[]> {
  const names = (await readdir(dir)).filter((n) => parseSegmentName(n) !== undefined).sort();
  const segments: SegmentContents[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const buf = await readFile(path);
    const records = scanRecords(buf).records.map((r) => ({
      seq: r.seq, bodyOffset: r.bodyOffset, bodyLength: r.bodyLength, body: buf.subarray(r.bodyOffset, r.bodyOffset + r.bodyLength),
    }));
    segments.push({ path, records });
  }
  return segments;
}
