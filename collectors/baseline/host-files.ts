/**
 * File access under the host root for the baseline rules: synchronous on purpose (a run reads a few
 * hundred small files from the page cache), bounded reads, no child processes.
 */
import { closeSync, lstatSync, openSync, readSync, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** /etc config files are small; this bounds a broken or hostile one. */
const MAX_FILE_BYTES = 1024 * 1024;

/** The error code of a failed fs call (`ENOENT`, `EACCES`, ...), if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

export function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function isDenied(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'EACCES' || code === 'EPERM';
}

/** The host's files, addressed by their path on the host (`/etc/passwd`). */
export class HostFiles {
  private readonly cache = new Map<string, string | Error>();

  constructor(readonly root: string) {}

  path(hostPath: string): string {
    return join(this.root, hostPath);
  }

  /** Text of a file, or undefined when it does not exist; throws EACCES and other errors. Cached for one run. */
  read(hostPath: string, maxBytes = MAX_FILE_BYTES): string | undefined {
    let hit = this.cache.get(hostPath);
    if (hit === undefined) {
      try {
        hit = readBounded(this.path(hostPath), maxBytes);
      } catch (err) {
        hit = err instanceof Error ? err : new Error(String(err));
      }
      this.cache.set(hostPath, hit);
    }
    if (typeof hit === 'string') return hit;
    if (isMissing(hit)) return undefined;
    throw hit;
  }

  stat(hostPath: string): Stats | undefined {
    try {
      return statSync(this.path(hostPath));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** Whether an entry exists without following it (a dangling `*.wants` symlink still means enabled). */
  exists(hostPath: string): boolean {
    try {
      lstatSync(this.path(hostPath));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Entry names of a directory, sorted; [] when it does not exist. */
  list(hostDir: string): string[] {
    try {
      return readdirSync(this.path(hostDir)).sort();
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }

  /** Host paths matching a pattern whose last component may hold `*` (`/etc/modprobe.d/*.conf`), in lexical order. */
  expand(hostPattern: string): string[] {
    const name = basename(hostPattern);
    if (!name.includes('*')) return [hostPattern];
    const dir = dirname(hostPattern);
    const re = new RegExp(`^${name.split('*').map(escapeRegExp).join('.*')}$`);
    return this.list(dir).filter((n) => re.test(n) && !n.startsWith('.')).map((n) => join(dir, n));
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readBounded(path: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total >= maxBytes) break;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Lines without comments (`#` to end of line) and blank lines, trimmed. */
export function meaningfulLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line !== '') out.push(line);
  }
  return out;
}
