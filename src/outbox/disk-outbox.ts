/**
 * The outbox in the state dir: append-only segment files plus an ack watermark. Appends are written
 * with one writev and one fdatasync per batch; a segment is deleted once every record in it is done.
 */
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AckLog } from './ack-log.js';
import { DEFAULT_SEGMENT_BYTES, type OutboxOptions } from './outbox.js';
import { QueueOutbox, type QueuedEntry } from './queue-outbox.js';
import { appendDeadLetter } from './dead-letter-file.js';
import { HEADER_BYTES, encodeHeader, parseSegmentName, scanRecords, segmentName, validRecordAt } from './segment-file.js';

interface Segment {
  readonly path: string;
  lastSeq: number;
  size: number;
  fh: FileHandle | undefined;
}

interface DiskEntry extends QueuedEntry {
  readonly segment: Segment;
  readonly bodyOffset: number;
  readonly bodyLength: number;
}

/** writev takes at most IOV_MAX buffers per call. */
const IOV_CHUNK = 1024;

export class DiskOutbox extends QueueOutbox<DiskEntry> {
  readonly mode = 'disk' as const;
  private segments: Segment[] = [];
  private current: Segment | undefined;
  private nextSeq = 1;
  private readonly segmentBytes: number;

  private constructor(
    opts: OutboxOptions,
    private readonly dir: string,
    private readonly acks: AckLog,
  ) {
    super(opts);
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  }

  /** Opens (creating) the directory and recovers what was appended and not acknowledged. */
  static async open(opts: OutboxOptions & { dir: string }): Promise<DiskOutbox> {
    await mkdir(opts.dir, { recursive: true });
    const acks = await AckLog.open(opts.dir);
    const outbox = new DiskOutbox(opts, opts.dir, acks);
    try {
      await outbox.recover();
    } catch (err) {
      await outbox.close().catch(() => undefined);
      throw err;
    }
    return outbox;
  }

  protected async store(bodies: readonly Buffer[], appendedAt: number): Promise<DiskEntry[]> {
    if (this.current === undefined || this.current.size >= this.segmentBytes) await this.roll();
    const seg = this.current;
    if (seg?.fh === undefined) throw new Error('outbox: no segment open for append');
    const iov: Buffer[] = [];
    const entries: DiskEntry[] = [];
    let offset = seg.size;
    for (const body of bodies) {
      const seq = this.nextSeq++;
      iov.push(encodeHeader(seq, appendedAt, body), body);
      entries.push({ seq, appendedAt, bytes: HEADER_BYTES + body.length, segment: seg, bodyOffset: offset + HEADER_BYTES, bodyLength: body.length });
      offset += HEADER_BYTES + body.length;
    }
    try {
      await writeAll(seg.fh, iov);
      await seg.fh.datasync();
    } catch (err) {
      // How much landed is unknown: never append behind it; the reader will skip a torn tail.
      this.current = undefined;
      throw err;
    }
    seg.size = offset;
    seg.lastSeq = this.nextSeq - 1;
    return entries;
  }

  /** Reads the whole record back and checks it, so a file damaged since open is never sent as garbage. */
  protected async load(entry: DiskEntry): Promise<Buffer> {
    const seg = entry.segment;
    seg.fh ??= await open(seg.path, 'r');
    const record = Buffer.allocUnsafe(HEADER_BYTES + entry.bodyLength);
    const { bytesRead } = await seg.fh.read(record, 0, record.length, entry.bodyOffset - HEADER_BYTES);
    if (bytesRead !== record.length) throw new Error(`outbox: short read of message ${entry.seq} in ${seg.path}`);
    if (validRecordAt(record, 0) !== entry.bodyLength || record.readDoubleLE(12) !== entry.seq) {
      throw new Error(`outbox: message ${entry.seq} in ${seg.path} fails its checksum`);
    }
    return record.subarray(HEADER_BYTES);
  }

  protected async keepDeadLetter(entry: DiskEntry, body: Buffer | undefined, _reason: string): Promise<void> {
    if (body !== undefined) await appendDeadLetter(this.dir, entry.seq, entry.appendedAt, body);
  }

  protected async removedThrough(seq: number): Promise<void> {
    await this.acks.write(seq);
    for (let seg = this.segments[0]; seg !== undefined && seg.lastSeq <= seq; seg = this.segments[0]) {
      // The segment being appended to goes only once it is full, so appends never race an unlink.
      if (seg === this.current) {
        if (seg.size < this.segmentBytes) break;
        this.current = undefined;
      }
      this.segments.shift();
      await seg.fh?.close();
      await unlink(seg.path).catch(() => undefined);
    }
  }

  protected async release(): Promise<void> {
    for (const seg of this.segments) await seg.fh?.close().catch(() => undefined);
    await this.acks.close();
  }

  private async roll(): Promise<void> {
    const path = join(this.dir, segmentName(this.nextSeq));
    const seg: Segment = { path, lastSeq: this.nextSeq - 1, size: 0, fh: await open(path, 'a+') };
    this.segments.push(seg);
    this.current = seg;
  }

  private async recover(): Promise<void> {
    const watermark = this.acks.watermark;
    const names = (await readdir(this.dir))
      .map((name) => ({ name, first: parseSegmentName(name) }))
      .filter((s): s is { name: string; first: number } => s.first !== undefined)
      .sort((a, b) => a.first - b.first);
    let maxSeq = watermark;
    const live: DiskEntry[] = [];
    for (const { name } of names) {
      const path = join(this.dir, name);
      const buf = await readFile(path);
      const { records, corrupt } = scanRecords(buf);
      if (corrupt.length > 0) {
        const bytes = corrupt.reduce((n, c) => n + c.bytes, 0);
        this.counters.corruptSkipped += corrupt.length;
        this.settings.log.warn({ segment: path, regions: corrupt.length, bytes, at: corrupt[0]?.offset }, 'outbox: skipped torn or corrupt records (interrupted write?)');
      }
      const seg: Segment = { path, lastSeq: 0, size: buf.length, fh: undefined };
      let kept = 0;
      for (const r of records) {
        maxSeq = Math.max(maxSeq, r.seq);
        seg.lastSeq = Math.max(seg.lastSeq, r.seq);
        if (r.seq <= watermark) continue;
        kept++;
        live.push({ seq: r.seq, appendedAt: r.appendedAt, bytes: HEADER_BYTES + r.bodyLength, segment: seg, bodyOffset: r.bodyOffset, bodyLength: r.bodyLength });
      }
      if (kept === 0) await unlink(path);
      else this.segments.push(seg);
    }
    // Delivery is in order, so entries sorted by seq are the FIFO even across a damaged segment.
    live.sort((a, b) => a.seq - b.seq);
    this.nextSeq = maxSeq + 1;
    this.restore(live);
    if (live.length > 0) this.settings.log.info({ messages: live.length, dir: this.dir }, 'outbox: unacknowledged messages from the last run will be sent again');
    await this.enforceBounds();
  }
}

async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  for (let i = 0; i < buffers.length; i += IOV_CHUNK) {
    const chunk = buffers.slice(i, i + IOV_CHUNK);
    const total = chunk.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(chunk);
    if (bytesWritten < total) await fh.write(Buffer.concat(chunk).subarray(bytesWritten));
  }
}
