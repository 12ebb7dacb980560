/**
 * The few file operations the Process collector needs, synchronous on purpose: procfs answers from
 * kernel memory in microseconds, and a thread-pool round trip per file would cost more than the read
 * (measured in test/bench/process.bench.mjs). Injected so tests can fake EACCES as root.
 */
import { closeSync, openSync, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';

export interface FileIdentity {
  readonly ino: number;
  readonly mtimeMs: number;
  readonly size: number;
}

export interface HostFs {
  readdir(path: string): string[];
  /** At most `maxBytes` from the start of the file, as UTF-8 text. */
  readText(path: string, maxBytes: number): string;
  /** At most `maxBytes` from the start of the file. */
  readBytes(path: string, maxBytes: number): Buffer;
  readlink(path: string): string;
  stat(path: string): FileIdentity;
}

/** The error code of a failed fs call (`ENOENT`, `EACCES`, ...), if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** The process or its file is gone: a pid that exits mid-read, a zombie's exe, a kernel thread's exe. */
export function isGone(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}

/** Real fs. One scratch buffer per instance, so reads allocate only the result. */
export function createNodeHostFs(): HostFs {
  let scratch = Buffer.allocUnsafe(8192);
  const readInto = (path: string, maxBytes: number): number => {
    if (scratch.length < maxBytes) scratch = Buffer.allocUnsafe(maxBytes);
    const fd = openSync(path, 'r');
    try {
      let total = 0;
      for (;;) {
        const n = readSync(fd, scratch, total, maxBytes - total, null);
        if (n === 0) break;
        total += n;
        if (total >= maxBytes) break;
      }
      return total;
    } finally {
      closeSync(fd);
    }
  };
  return {
    readdir: (path) => readdirSync(path),
    readText: (path, maxBytes) => scratch.toString('utf8', 0, readInto(path, maxBytes)),
    readBytes: (path, maxBytes) => Buffer.from(scratch.subarray(0, readInto(path, maxBytes))),
    readlink: (path) => readlinkSync(path),
    stat: (path) => {
      const s = statSync(path);
      return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size };
    },
  };
}
