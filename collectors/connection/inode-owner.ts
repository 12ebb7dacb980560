/** Socket inode -> owning process, by walking `/proc/<pid>/fd` only for inodes not seen before. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { listPids } from './namespaces.js';
import { parseCmdline, parseSocketLink } from './parse.js';

export interface ProcessInfo {
  readonly pid: number;
  /** `/proc/<pid>/exe` target; argv[0] when the link is unreadable; '' when the process vanished. */
  readonly executable: string;
  /** undefined when the process vanished before its command line was read. */
  readonly commandLine?: string;
}

/** Cap on remembered inode -> pid pairs; cleared wholesale when exceeded (it only saves work). */
const MAX_CACHED_INODES = 16_384;
const RECENT_OWNERS = 16;

export class InodeOwners {
  private readonly cache = new Map<number, number>();
  private recent: number[] = [];
  private knownPids = new Set<number>();
  /** How many `/proc/<pid>/fd` directories were listed, ever: the cost a quiet poll must not pay. */
  fdDirsRead = 0;
  /** fd directories that could not be listed for lack of permission (not root). */
  fdDirsDenied = 0;

  constructor(private readonly procRoot: string) {}

  /**
   * Finds owners for `wanted`. Order: recent owners (a busy server owns most new sockets), then
   * processes not seen at the last lookup (a new client), then the rest; stops when all are found.
   * With `exhaustive`, every process is walked (the one-shot listing).
   */
  resolve(wanted: ReadonlySet<number>, exhaustive = false): Map<number, number> {
    const found = new Map<number, number>();
    for (const inode of wanted) {
      const pid = this.cache.get(inode);
      if (pid !== undefined) found.set(inode, pid);
    }
    if (found.size === wanted.size && !exhaustive) return found;
    const pids = listPids(this.procRoot);
    const alive = new Set(pids);
    const order = [
      ...this.recent.filter((p) => alive.has(p)),
      ...pids.filter((p) => !this.knownPids.has(p)),
      ...pids,
    ];
    const walked = new Set<number>();
    for (const pid of order) {
      if (walked.has(pid)) continue;
      walked.add(pid);
      this.walkFds(pid, wanted, found);
      if (found.size === wanted.size && !exhaustive) break;
    }
    this.knownPids = alive;
    for (const pid of new Set(found.values())) this.remember(pid);
    return found;
  }

  /** Forget inodes no longer present, so the cache tracks live sockets only. */
  retain(live: (inode: number) => boolean): void {
    for (const inode of this.cache.keys()) if (!live(inode)) this.cache.delete(inode);
  }

  private remember(pid: number): void {
    this.recent = [pid, ...this.recent.filter((p) => p !== pid)].slice(0, RECENT_OWNERS);
  }

  private walkFds(pid: number, wanted: ReadonlySet<number>, found: Map<number, number>): void {
    const dir = `${this.procRoot}/${pid}/fd`;
    let fds: string[];
    this.fdDirsRead++;
    try {
      fds = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') this.fdDirsDenied++;
      return; // vanished or not ours to read
    }
    if (this.cache.size > MAX_CACHED_INODES) this.cache.clear();
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${dir}/${fd}`); // sync: a procfs readlink takes microseconds
      } catch {
        continue;
      }
      const inode = parseSocketLink(target);
      if (inode === undefined) continue;
      this.cache.set(inode, pid);
      if (wanted.has(inode) && !found.has(inode)) found.set(inode, pid);
    }
  }
}

/** Executable and command line of a pid; fields of a vanished process come back empty. */
export function readProcessInfo(procRoot: string, pid: number): ProcessInfo {
  let commandLine: string | undefined;
  try {
    commandLine = parseCmdline(readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8'));
  } catch {
    commandLine = undefined;
  }
  let executable: string;
  try {
    executable = readlinkSync(`${procRoot}/${pid}/exe`);
  } catch {
    executable = commandLine?.split(' ')[0] ?? '';
  }
  return commandLine === undefined ? { pid, executable } : { pid, executable, commandLine };
}
