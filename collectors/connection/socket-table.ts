/** Reading the four socket tables of a network namespace, and a scan that allocates nothing per row. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Family, Protocol } from './parse.js';

export interface TableSpec {
  readonly file: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  readonly protocol: Protocol;
  readonly family: Family;
}

export const TABLES: readonly TableSpec[] = [
  { file: 'tcp', protocol: 'TCP', family: 4 },
  { file: 'tcp6', protocol: 'TCP', family: 6 },
  { file: 'udp', protocol: 'UDP', family: 4 },
  { file: 'udp6', protocol: 'UDP', family: 6 },
];

/** The tables read on a poll whose TCP counters did not move: no counter covers connected UDP sockets. */
export const UDP_TABLES: readonly TableSpec[] = TABLES.filter((spec) => spec.protocol === 'UDP');

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * A table's text; '' when the kernel has no such table (IPv6 disabled). Other errors propagate.
 * UDP tables are read every poll and hold a few rows: a sync read costs a fraction of the CPU of an async one
 * (four thread-pool round trips and their promises). TCP tables can hold tens of thousands of rows, which the
 * kernel takes milliseconds to print: they are read off the event loop.
 */
export async function readTable(netDir: string, spec: TableSpec): Promise<string> {
  const path = `${netDir}/${spec.file}`;
  try {
    return spec.protocol === 'UDP' ? readFileSync(path, 'latin1') : await readFile(path, 'latin1');
  } catch (err) {
    if (isMissing(err)) return '';
    throw err;
  }
}

/** Hex digits [start, end) -> number; -1 if any is not hex. */
function hexAt(text: string, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return end > start ? v : -1;
}

function decimalAt(text: string, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return end > start ? v : -1;
}

export type RowVisitor = (state: number, inode: number, lineStart: number, lineEnd: number) => void;

/**
 * Visits every data line with its state (field 4) and inode (field 10) without building strings,
 * so a steady-state poll costs little more than reading the file. Tokens are found with indexOf, which
 * runs as native code even where the launcher's --lite-mode leaves JavaScript loops interpreted.
 * Returns how many non-empty lines it could not read (skipped).
 */
export function scanTable(text: string, visit: RowVisitor): number {
  const n = text.length;
  let pos = text.indexOf('\n') + 1;
  let skipped = 0;
  if (pos === 0) return 0;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    let field = -1;
    let state = -1;
    let inode = -1;
    let i = pos;
    while (i < end) {
      while (i < end && text.charCodeAt(i) === 32) i++;
      if (i >= end) break;
      field++;
      let tokenEnd = text.indexOf(' ', i);
      if (tokenEnd < 0 || tokenEnd > end) tokenEnd = end;
      if (field === 3) state = tokenEnd - i === 2 ? hexAt(text, i, tokenEnd) : -1;
      else if (field === 9) {
        inode = decimalAt(text, i, tokenEnd);
        break;
      }
      i = tokenEnd;
    }
    if (state >= 0 && inode >= 0) visit(state, inode, pos, end);
    else if (field >= 0) skipped++;
    pos = end + 1;
  }
  return skipped;
}
