/**
 * The aggregators' checkpoint in the state dir: one record in the outbox's segment framing (magic,
 * length, crc32) whose body is JSON, replaced atomically (write, rename). Not fsync'd, like the ack log: a
 * killed process loses nothing (page cache); after a power cut a torn file fails the checks, which is one
 * warning and an empty start, never a crash.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { CollectedEvent } from '../events/event.js';
import { encodeHeader, scanRecords } from '../outbox/segment-file.js';
import type { HeldEvent } from './aggregator.js';

/** Held events per collector, oldest first. */
export type Checkpoint = Map<string, HeldEvent[]>;

/** Bound on the file: beyond it the newest held events are left out (and logged), the oldest kept. */
export const CHECKPOINT_MAX_BYTES = 16 * 1024 * 1024;
const FORMAT_VERSION = 1;

type StoredEvent = [event: CollectedEvent, count: number, first: number, last: number];

export class CheckpointFile {
  private lastWarning: string | undefined;

  constructor(
    readonly path: string,
    private readonly log: Logger,
    private readonly maxBytes = CHECKPOINT_MAX_BYTES,
  ) {}

  /** What the last run held; empty when there is no file or it is unusable (one warning). */
  async load(): Promise<Checkpoint> {
    let buf: Buffer;
    try {
      buf = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.warnUnusable(`unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return new Map();
    }
    const { records } = scanRecords(buf);
    const record = records[0];
    if (records.length !== 1 || record === undefined || record.bodyOffset + record.bodyLength !== buf.length) {
      this.warnUnusable('torn or corrupt (length or checksum)');
      return new Map();
    }
    try {
      return parseCheckpoint(buf.subarray(record.bodyOffset).toString('utf8'));
    } catch (err) {
      this.warnUnusable(err instanceof Error ? err.message : String(err));
      return new Map();
    }
  }

  /** Replaces the file with what is held now; removes it when nothing is held. */
  async save(held: Checkpoint, savedAt: number): Promise<void> {
    const parts: string[] = [];
    let bytes = 0;
    let left = 0;
    for (const [collector, events] of held) {
      const stored: string[] = [];
      for (const h of events) {
        const json = JSON.stringify([h.event, h.count, h.first, h.last] satisfies StoredEvent);
        if (bytes + json.length > this.maxBytes) {
          left++;
          continue;
        }
        bytes += json.length + 1;
        stored.push(json);
      }
      if (stored.length > 0) parts.push(`${JSON.stringify(collector)}:[${stored.join(',')}]`);
    }
    if (left > 0) this.warnOnce(`checkpoint over ${this.maxBytes} bytes: ${left} newest held events not checkpointed`, { left });
    if (parts.length === 0) {
      await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      return;
    }
    const body = Buffer.from(`{"version":${FORMAT_VERSION},"collectors":{${parts.join(',')}}}`, 'utf8');
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writev([encodeHeader(1, savedAt, body), body]);
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }

  private warnUnusable(reason: string): void {
    this.log.warn({ path: this.path, reason }, 'pipeline: checkpoint unusable, starting with empty aggregators');
  }

  private warnOnce(msg: string, fields: Record<string, unknown>): void {
    if (msg === this.lastWarning) return;
    this.lastWarning = msg;
    this.log.warn({ path: this.path, ...fields }, `pipeline: ${msg}`);
  }
}

function parseCheckpoint(text: string): Checkpoint {
  const doc = JSON.parse(text) as unknown;
  if (!isObject(doc) || doc['version'] !== FORMAT_VERSION || !isObject(doc['collectors'])) throw new Error('not a version 1 checkpoint');
  const out: Checkpoint = new Map();
  for (const [collector, list] of Object.entries(doc['collectors'])) {
    if (!Array.isArray(list)) throw new Error(`${collector}: not a list`);
    out.set(collector, list.map((item: unknown) => heldEvent(collector, item)));
  }
  return out;
}

function heldEvent(collector: string, item: unknown): HeldEvent {
  if (!Array.isArray(item) || item.length !== 4) throw new Error(`${collector}: malformed entry`);
  const [event, count, first, last] = item as unknown[];
  if (!isEvent(event) || !isCount(count) || !isTime(first) || !isTime(last)) throw new Error(`${collector}: malformed entry`);
  return { event, count, first, last };
}

function isEvent(v: unknown): v is CollectedEvent {
  return isObject(v) && typeof v['name'] === 'string' && typeof v['category'] === 'string' && typeof v['eventType'] === 'string'
    && isTime(v['time']) && Array.isArray(v['payload']) && v['payload'].every(isObject)
    && (v['aggregationKey'] === undefined || typeof v['aggregationKey'] === 'string');
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

/** Within what a Date can represent, so toISOString() cannot throw at send time. */
function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 8.64e15;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
