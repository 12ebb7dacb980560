import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino, type Logger } from 'pino';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { silentLogger } from '../../src/log.js';
import { openOutbox } from '../../src/outbox/open-outbox.js';
import { HEADER_BYTES, scanRecords } from '../../src/outbox/segment-file.js';
import type { Outbox, OutboxOptions } from '../../src/outbox/outbox.js';
import { crc32, tableCrc32 } from '../../src/outbox/crc32.js';

const MIN = 60_000;
let dir: string;
let clock: FakeClock;
let lines: string[];
let log: Logger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  clock = new FakeClock();
  lines = [];
  log = pino({ level: 'info' }, { write: (l: string) => void lines.push(String((JSON.parse(l) as { msg: string }).msg)) });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function open(extra: Partial<OutboxOptions> = {}): Promise<Outbox> {
  return openOutbox({ dir: join(dir, 'outbox'), messageTimeoutMs: 2880 * MIN, clock, log, ...extra });
}

const msg = (i: number, size = 100): Buffer => Buffer.from(`${i}:`.padEnd(size, '.'));

async function drainAll(o: Outbox, ack = true): Promise<string[]> {
  const out: string[] = [];
  for (let m = await o.peek(); m !== undefined; m = ack ? await o.peek() : undefined) {
    out.push(m.body.toString().split(':')[0] ?? '');
    if (ack) await o.ack(m.seq);
  }
  return out;
}

function segments(): string[] {
  return readdirSync(join(dir, 'outbox')).filter((n) => n.startsWith('seg-')).sort();
}

describe('disk outbox', () => {
  it('is on disk and hands out messages in order, removing each on ack', async () => {
    const o = await open();
    expect(o.mode).toBe('disk');
    await o.append([msg(1), msg(2)]);
    await o.append(msg(3));
    expect(o.pending).toBe(3);
    expect(await drainAll(o)).toEqual(['1', '2', '3']);
    expect(o.stats()).toMatchObject({ appended: 3, acked: 3, pendingMessages: 0, pendingBytes: 0 });
    await o.close();
  });

  it('delivers again after a restart what was appended but not acknowledged', async () => {
    const a = await open();
    await a.append([msg(1), msg(2), msg(3), msg(4)]);
    const first = await a.peek();
    await a.ack(first?.seq ?? 0);
    await a.close(); // a crash leaves the same files: appends are fsync'd, the ack log is written before ack() resolves
    const b = await open();
    expect(b.pending).toBe(3);
    await b.append(msg(5));
    expect(await drainAll(b)).toEqual(['2', '3', '4', '5']);
    await b.close();
    const c = await open();
    expect(c.pending).toBe(0);
    await c.close();
  });

  it('detects a torn record by its checksum, skips it with a warning and delivers the rest', async () => {
    const a = await open();
    await a.append([msg(1, 1000), msg(2, 1000), msg(3, 1000)]);
    await a.close();
    const seg = join(dir, 'outbox', segments()[0] ?? '');
    // The third record is cut mid-body, then garbage follows (a crash mid-write).
    truncateSync(seg, 2 * (HEADER_BYTES + 1000) + HEADER_BYTES + 400);
    appendFileSync(seg, Buffer.from('garbage-after-crash'.repeat(10)));
    const b = await open();
    expect(lines.some((l) => l.includes('skipped torn or corrupt records'))).toBe(true);
    expect(b.stats().corruptSkipped).toBe(1);
    await b.append(msg(4));
    expect(await drainAll(b)).toEqual(['1', '2', '4']);
    await b.close();
  });

  it('skips a record whose bytes were flipped and resynchronizes at the next record', async () => {
    const a = await open();
    await a.append([msg(1), msg(2), msg(3)]);
    await a.close();
    const seg = join(dir, 'outbox', segments()[0] ?? '');
    const buf = readFileSync(seg);
    const at = HEADER_BYTES + 100 + HEADER_BYTES + 50; // inside the body of record 2
    buf[at] = (buf[at] ?? 0) ^ 0xff;
    writeFileSync(seg, buf);
    const b = await open();
    expect(await drainAll(b)).toEqual(['1', '3']);
    await b.close();
  });

  it('moves a dead-lettered message to dead-letter.log, framed and checksummed, and goes on with the next', async () => {
    const o = await open();
    await o.append([msg(1), msg(2)]);
    const head = await o.peek();
    await o.deadLetter(head?.seq ?? 0, 'refused');
    expect(await drainAll(o)).toEqual(['2']);
    expect(o.stats()).toMatchObject({ deadLettered: 1, acked: 1, pendingMessages: 0 });
    await o.close();
    const file = readFileSync(join(dir, 'outbox', 'dead-letter.log'));
    const { records, corrupt } = scanRecords(file);
    expect(corrupt).toEqual([]);
    expect(records.map((r) => file.subarray(r.bodyOffset, r.bodyOffset + r.bodyLength).toString())).toEqual([msg(1).toString()]);
    // Dead-lettered means done: a restart does not send it again.
    const b = await open();
    expect(b.pending).toBe(0);
    await b.close();
  });

  it('skips a head record damaged after open once it failed to read 3 times, counts it, and delivers the rest', async () => {
    const o = await open();
    await o.append([msg(1), msg(2), msg(3)]);
    const seg = join(dir, 'outbox', segments()[0] ?? '');
    const buf = readFileSync(seg);
    buf[HEADER_BYTES + 10] = (buf[HEADER_BYTES + 10] ?? 0) ^ 0xff; // inside the body of record 1
    writeFileSync(seg, buf);
    await expect(o.peek()).rejects.toThrow(/fails its checksum/);
    await expect(o.peek()).rejects.toThrow(/fails its checksum/);
    expect(await drainAll(o)).toEqual(['2', '3']);
    expect(o.stats()).toMatchObject({ unreadableSkipped: 1, acked: 2, pendingMessages: 0 });
    expect(lines.filter((l) => l.includes('could not be read back'))).toHaveLength(1);
    await o.close();
  });

  it('drops the oldest messages beyond maxBytes and counts them', async () => {
    const o = await open({ maxBytes: 5 * (HEADER_BYTES + 1000) });
    for (let i = 1; i <= 8; i++) await o.append(msg(i, 1000));
    expect(o.stats()).toMatchObject({ droppedBySize: 3, pendingMessages: 5 });
    expect(lines.some((l) => l.includes('full, dropped the oldest'))).toBe(true);
    expect(await drainAll(o)).toEqual(['4', '5', '6', '7', '8']);
    await o.close();
  });

  it('drops messages older than the message timeout and counts them', async () => {
    const o = await open({ messageTimeoutMs: 10 * MIN });
    await o.append([msg(1), msg(2)]);
    await clock.advance(6 * MIN);
    await o.append(msg(3));
    await clock.advance(5 * MIN);
    expect(await drainAll(o)).toEqual(['3']);
    expect(o.stats().droppedByAge).toBe(2);
    await o.close();
    // Age survives a restart: the append time is in the record.
    const again = await open({ messageTimeoutMs: 10 * MIN });
    expect(again.pending).toBe(0);
    await again.close();
  });

  it('deletes a segment file once every message in it is acknowledged', async () => {
    const o = await open({ segmentBytes: 3 * (HEADER_BYTES + 1000) });
    for (let i = 1; i <= 7; i++) await o.append(msg(i, 1000));
    expect(segments()).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const m = await o.peek();
      await o.ack(m?.seq ?? 0);
    }
    expect(segments()).toHaveLength(2);
    expect(await drainAll(o)).toEqual(['4', '5', '6', '7']);
    await o.close();
    const ackLog = statSync(join(dir, 'outbox', 'acked.log'));
    expect(ackLog.size).toBeLessThan(1000);
  });

  it('ignores an ack for a message already dropped and refuses one out of order', async () => {
    const o = await open();
    await o.append([msg(1), msg(2)]);
    const m = await o.peek();
    await o.ack((m?.seq ?? 0) - 1);
    expect(o.pending).toBe(2);
    await expect(o.ack((m?.seq ?? 0) + 1)).rejects.toThrow(/out of order/);
    await o.close();
  });

  it('falls back to memory, and says so, when the directory cannot be created', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const o = await openOutbox({ dir: join(file, 'outbox'), messageTimeoutMs: MIN, clock, log });
    expect(o.mode).toBe('memory');
    expect(lines.filter((l) => l.includes('kept in memory'))).toHaveLength(1);
    expect(lines[0]).toMatch(/not writable \(ENOTDIR\)/);
    await o.append(msg(1));
    expect(await drainAll(o)).toEqual(['1']);
  });

  it('computes the same crc32 with the table fallback as node:zlib', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(tableCrc32(data)).toBe(0x414fa339);
    expect(crc32(data)).toBe(0x414fa339);
    expect(tableCrc32(data.subarray(10), tableCrc32(data.subarray(0, 10)))).toBe(0x414fa339);
  });
});

describe('outbox on a device whose clock was unset when it queued', () => {
  it('does not expire messages stamped before the clock was set once NTP corrects it', async () => {
    const early = new FakeClock(Date.UTC(1970, 0, 2));
    const outbox = new MemoryOutbox({ clock: early, log: silentLogger(), messageTimeoutMs: 60_000 });
    await outbox.append([Buffer.from('a'), Buffer.from('b')]);
    await early.advance(Date.UTC(2026, 10, 22) - early.now()); // NTP sets the clock
    expect((await outbox.peek())?.body.toString()).toBe('a');
    expect(outbox.stats().droppedByAge).toBe(0);
    await early.advance(61_000);
    expect(await outbox.peek()).toBeUndefined();
    expect(outbox.stats().droppedByAge).toBe(2);
  });
});
