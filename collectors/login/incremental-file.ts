/** Reads what was appended to a file since the last time, across rotation, shrinking and replacement. */
import { statSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where reading stopped; kept in the state dir so a restart neither replays nor skips. */
export interface FileMark {
  readonly inode: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * Gets the bytes from the mark to the end; returns how many it used (the rest, e.g. half a record,
 * is read again next time). `final` is true when no more bytes will ever follow (a rotated file).
 */
export type Consume = (data: Buffer, final: boolean, origin: string) => number;

export interface ReadResult {
  readonly mark: FileMark | undefined;
  /** Human-readable, one line each: a shrunk or replaced file may be tampering. */
  readonly warnings: string[];
}

/** One poll reads at most this much per file, so a huge backlog is spread over several polls. */
export const MAX_READ_BYTES = 4 * 1024 * 1024;

/**
 * Sync: every source is stat'ed every poll, and a stat is microseconds where the async one costs several times the
 * CPU (a thread-pool round trip and its promise), most of the login collector's idle cost.
 */
function statOrUndefined(path: string): { ino: number; size: number } | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st?.isFile() === true ? { ino: st.ino, size: st.size } : undefined;
}

/** Reads [from, to) in one buffer (bounded by MAX_READ_BYTES) and returns the new offset. */
async function readRange(path: string, from: number, to: number, final: boolean, consume: Consume): Promise<number> {
  const length = Math.min(to - from, MAX_READ_BYTES);
  if (length <= 0) return from;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, from);
    const isLast = final && from + bytesRead >= to;
    const used = consume(buf.subarray(0, bytesRead), isLast, path);
    return from + Math.max(0, Math.min(used, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Rotated siblings (`wtmp.1`, `secure-20240301`), compressed ones excluded: they are never appended to. */
async function findRotated(path: string, inode: number): Promise<string | undefined> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (name === base || !(name.startsWith(`${base}.`) || name.startsWith(`${base}-`))) continue;
    if (/\.(gz|xz|bz2|zst)$/.test(name)) continue;
    const st = statOrUndefined(join(dir, name));
    if (st?.ino === inode) return join(dir, name);
  }
  return undefined;
}

/**
 * One step of incremental reading. Without a mark, `startAtEnd` decides between "from now on" and
 * "from the beginning" (a file that appears after the first run is read from its start).
 */
export async function readIncrement(
  path: string,
  mark: FileMark | undefined,
  startAtEnd: boolean,
  consume: Consume,
  alignTo = 1,
): Promise<ReadResult> {
  const warnings: string[] = [];
  const st = statOrUndefined(path);
  if (st === undefined) return { mark, warnings };
  if (mark === undefined) {
    if (startAtEnd) {
      const end = st.size - (st.size % alignTo);
      return { mark: { inode: st.ino, offset: end, size: st.size }, warnings };
    }
    const offset = await readRange(path, 0, st.size, false, consume);
    return { mark: { inode: st.ino, offset, size: st.size }, warnings };
  }
  let from = mark.offset;
  if (st.ino !== mark.inode) {
    const rotated = await findRotated(path, mark.inode);
    if (rotated !== undefined) {
      const old = statOrUndefined(rotated);
      if (old !== undefined && old.size >= mark.offset) {
        const offset = await readRange(rotated, mark.offset, old.size, true, consume);
        // larger than one read: the mark stays on the old inode and the next polls finish it, one chunk each
        if (offset < old.size) return { mark: { inode: mark.inode, offset, size: old.size }, warnings };
      } else {
        warnings.push(`${rotated} (rotated ${path}) shrank below the last read offset ${mark.offset}: its tail is lost; this can be tampering`);
      }
    } else {
      warnings.push(`${path} was replaced (inode ${mark.inode} -> ${st.ino}) and the old file is not among its rotations: reading it from the start; this can be tampering`);
    }
    from = 0;
  } else if (st.size < mark.offset) {
    warnings.push(`${path} shrank from ${mark.offset} to ${st.size} bytes: reading it from the start; this can be tampering (or logrotate copytruncate)`);
    from = 0;
  }
  const offset = await readRange(path, from, st.size, false, consume);
  return { mark: { inode: st.ino, offset, size: st.size }, warnings };
}
