/**
 * The dead-letter file: messages the hub refused for good, in the segment framing (`seq`, `appendedAt`,
 * body), so a user or a tool can read them back with `scanRecords`. Bounded: beyond `maxBytes` the file
 * becomes `dead-letter.old.log` (replacing the previous one) and a new one starts.
 */
import { open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeHeader } from './segment-file.js';

export const DEAD_LETTER_NAME = 'dead-letter.log';
export const DEAD_LETTER_OLD_NAME = 'dead-letter.old.log';
export const DEAD_LETTER_MAX_BYTES = 8 * 1024 * 1024;

export async function appendDeadLetter(dir: string, seq: number, appendedAt: number, body: Buffer, maxBytes = DEAD_LETTER_MAX_BYTES): Promise<void> {
  const path = join(dir, DEAD_LETTER_NAME);
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size > 0 && size + body.length > maxBytes) await rename(path, join(dir, DEAD_LETTER_OLD_NAME));
  const fh = await open(path, 'a');
  try {
    await fh.writev([encodeHeader(seq, appendedAt, body), body]);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
