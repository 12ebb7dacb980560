/**
 * The ack log: append-only records `seq f64 | crc32 u32` saying "every message up to seq is done".
 * Removal is always from the head of the FIFO, so a watermark is the whole ack state. It is not
 * fsync'd: a process crash keeps it (page cache), a power cut may resend a few acknowledged messages.
 */
import { open, rename, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from './crc32.js';

const RECORD = 12;
/** Rewritten as one record beyond this, so it never grows without bound. */
const COMPACT_BYTES = 64 * 1024;
export const ACK_LOG_NAME = 'acked.log';

export class AckLog {
  private size = 0;

  private constructor(
    private readonly path: string,
    private fh: FileHandle,
    private watermarkSeq: number,
  ) {}

  static async open(dir: string): Promise<AckLog> {
    const path = join(dir, ACK_LOG_NAME);
    const watermark = await readWatermark(path);
    const log = new AckLog(path, await open(path, 'a'), 0);
    log.watermarkSeq = watermark;
    // Start from one clean record: drops a torn tail and old history.
    await log.compact();
    return log;
  }

  get watermark(): number {
    return this.watermarkSeq;
  }

  async write(seq: number): Promise<void> {
    if (seq <= this.watermarkSeq) return;
    this.watermarkSeq = seq;
    if (this.size >= COMPACT_BYTES) return this.compact();
    await this.fh.write(encode(seq));
    this.size += RECORD;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private async compact(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.write(encode(this.watermarkSeq));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    await this.fh.close();
    this.fh = await open(this.path, 'a');
    this.size = RECORD;
  }
}

function encode(seq: number): Buffer {
  const b = Buffer.allocUnsafe(RECORD);
  b.writeDoubleLE(seq, 0);
  b.writeUInt32LE(crc32(b.subarray(0, 8)), 8);
  return b;
}

async function readWatermark(path: string): Promise<number> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let best = 0;
  for (let pos = 0; pos + RECORD <= buf.length; pos += RECORD) {
    const seq = buf.readDoubleLE(pos);
    if (buf.readUInt32LE(pos + 8) === crc32(buf.subarray(pos, pos + 8)) && Number.isSafeInteger(seq) && seq > best) best = seq;
  }
  return best;
}
