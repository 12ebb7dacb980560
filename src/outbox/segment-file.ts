/**
 * Segment file records: `magic u32 | bodyLength u32 | crc32 u32 | seq f64 | appendedAt f64 | body`,
 * little-endian, the crc covering seq, appendedAt and body. A torn or garbled record fails the
 * length or crc check; the reader then resynchronizes at the next magic.
 */
import { crc32 } from './crc32.js';

export const RECORD_MAGIC = 0x3142_4f49; // "IOB1" read as little-endian bytes
export const HEADER_BYTES = 28;
const MAGIC_BYTES = Buffer.from([0x49, 0x4f, 0x42, 0x31]);

export interface RecordRef {
  readonly seq: number;
  readonly appendedAt: number;
  /** Offset of the body inside the file. */
  readonly bodyOffset: number;
  readonly bodyLength: number;
}

export interface ScanResult {
  readonly records: RecordRef[];
  /** Regions that did not parse: where they start and how many bytes were skipped. */
  readonly corrupt: { offset: number; bytes: number }[];
}

/** The header for one record; write it followed by the body (writev, no copy of the body). */
export function encodeHeader(seq: number, appendedAt: number, body: Uint8Array): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(RECORD_MAGIC, 0);
  header.writeUInt32LE(body.length, 4);
  header.writeDoubleLE(seq, 12);
  header.writeDoubleLE(appendedAt, 20);
  header.writeUInt32LE(crc32(body, crc32(header.subarray(12, HEADER_BYTES))), 8);
  return header;
}

export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.log`;
}

export function parseSegmentName(name: string): number | undefined {
  const m = /^seg-(\d{16})\.log$/.exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export function scanRecords(buf: Buffer): ScanResult {
  const records: RecordRef[] = [];
  const corrupt: { offset: number; bytes: number }[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const length = validRecordAt(buf, pos);
    if (length !== undefined) {
      records.push({
        seq: buf.readDoubleLE(pos + 12),
        appendedAt: buf.readDoubleLE(pos + 20),
        bodyOffset: pos + HEADER_BYTES,
        bodyLength: length,
      });
      pos += HEADER_BYTES + length;
      continue;
    }
    const next = buf.indexOf(MAGIC_BYTES, pos + 1);
    const end = next === -1 ? buf.length : next;
    corrupt.push({ offset: pos, bytes: end - pos });
    pos = end;
  }
  return { records, corrupt };
}

/** Body length of an intact record at `pos`, or undefined when it is torn or garbled. */
export function validRecordAt(buf: Buffer, pos: number): number | undefined {
  if (buf.length - pos < HEADER_BYTES) return undefined;
  if (buf.readUInt32LE(pos) !== RECORD_MAGIC) return undefined;
  const length = buf.readUInt32LE(pos + 4);
  const end = pos + HEADER_BYTES + length;
  if (end > buf.length) return undefined;
  const expected = buf.readUInt32LE(pos + 8);
  const actual = crc32(buf.subarray(pos + HEADER_BYTES, end), crc32(buf.subarray(pos + 12, pos + HEADER_BYTES)));
  if (actual !== expected) return undefined;
  const seq = buf.readDoubleLE(pos + 12);
  return Number.isSafeInteger(seq) && seq > 0 ? length : undefined;
}
