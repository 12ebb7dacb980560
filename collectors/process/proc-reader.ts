/** Reads one process, or the list of pids, from `<hostRoot>/proc`; never throws for a single pid. */
import { join } from 'node:path';
import { isGone, type HostFs } from './host-fs.js';
import { isKernelThread, isPidName, parseCmdline, parseLoadavg, parseRealUid, parseStat, type TaskCounters } from './parse.js';

/** CommandLine is capped at this many bytes of /proc/<pid>/cmdline (ARG_MAX allows 2 MiB). */
export const MAX_COMMAND_LINE_BYTES = 4096;
const MAX_STAT_BYTES = 4096;
const MAX_STATUS_BYTES = 16384;

/** Everything the collector knows about one process. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  readonly startTime: number;
  /** Real uid. */
  readonly uid: number;
  readonly userName?: string;
  /** The /proc/<pid>/exe link, or the command name when it cannot be read. */
  readonly executable: string;
  /** argv joined by spaces, at most MAX_COMMAND_LINE_BYTES; `[comm]` when argv is empty (zombies). */
  readonly commandLine: string;
  readonly comm: string;
  /** One letter from stat: R, S, D, Z, ... */
  readonly state: string;
}

export type ReadOutcome =
  | { readonly kind: 'process'; readonly info: Omit<ProcessInfo, 'userName'> }
  | { readonly kind: 'kernel-thread'; readonly pid: number; readonly ppid: number; readonly startTime: number }
  | { readonly kind: 'gone' };

/** Called for every error that is not "the process is gone"; the caller decides how often to log. */
export type ProblemSink = (what: string, path: string, err: unknown) => void;

export class ProcReader {
  readonly procDir: string;
  readonly loadavgPath: string;

  constructor(
    hostRoot: string,
    private readonly fs: HostFs,
    private readonly onProblem: ProblemSink,
  ) {
    this.procDir = join(hostRoot, 'proc');
    this.loadavgPath = join(this.procDir, 'loadavg');
  }

  /** Pids of all processes (thread group leaders). Throws when /proc itself cannot be listed. */
  listPids(): number[] {
    const pids: number[] = [];
    for (const name of this.fs.readdir(this.procDir)) if (isPidName(name)) pids.push(Number(name));
    return pids;
  }

  /** Last pid handed out and tasks alive, if /proc/loadavg says. */
  taskCounters(): TaskCounters | undefined {
    try {
      return parseLoadavg(this.fs.readText(this.loadavgPath, 256));
    } catch {
      return undefined;
    }
  }

  /**
   * True when this /proc is the initial pid namespace (PROC_PID_INIT_INO, a fixed kernel constant): every task
   * started anywhere takes a pid from it, so /proc/loadavg's last pid moves with every start on the host.
   */
  isInitialPidNamespace(): boolean {
    try {
      return this.fs.readlink(`${this.procDir}/self/ns/pid`) === 'pid:[4026531836]';
    } catch {
      return false;
    }
  }

  /** True when this /proc belongs to our own pid namespace, so /proc/loadavg's last pid describes it. */
  isOwnPidNamespace(ownPid: number): boolean {
    try {
      return this.fs.readlink(`${this.procDir}/self`) === String(ownPid);
    } catch {
      return false;
    }
  }

  /** Start time only: the cheap check for pid reuse. Undefined when the process is gone. */
  startTime(pid: number): number | undefined {
    const path = `${this.procDir}/${pid}/stat`;
    try {
      return parseStat(this.fs.readText(path, MAX_STAT_BYTES))?.startTime;
    } catch (err) {
      if (!isGone(err)) this.onProblem('stat', path, err);
      return undefined;
    }
  }

  /** Inode of /proc/<pid>: procfs gives a reused pid a fresh inode. Undefined when gone. */
  dirIno(pid: number): number | undefined {
    try {
      return this.fs.stat(`${this.procDir}/${pid}`).ino;
    } catch {
      return undefined;
    }
  }

  /** Executable link and command line only: the cheap check for an exec. Undefined when the process is gone. */
  readProgram(pid: number): { readonly exe: string | undefined; readonly cmdline: string } | undefined {
    const dir = `${this.procDir}/${pid}`;
    const argv = this.readOptional('cmdline', `${dir}/cmdline`, (p) => this.fs.readBytes(p, MAX_COMMAND_LINE_BYTES));
    if (argv === undefined) return undefined;
    const exe = this.readOptional('exe', `${dir}/exe`, (p) => this.fs.readlink(p));
    return { exe: exe === '' ? undefined : exe, cmdline: parseCmdline(argv) };
  }

  /** The executable link alone; undefined when gone or unreadable. */
  readExe(pid: number): string | undefined {
    const exe = this.readOptional('exe', `${this.procDir}/${pid}/exe`, (p) => this.fs.readlink(p));
    return exe === '' ? undefined : exe;
  }

  /** `argv`: the command line already read at the exec event (netlink), so /proc/<pid>/cmdline is not read again. */
  read(pid: number, argv?: Buffer): ReadOutcome {
    const dir = `${this.procDir}/${pid}`;
    const statText = this.readOptional('stat', `${dir}/stat`, (p) => this.fs.readText(p, MAX_STAT_BYTES));
    const stat = statText === undefined ? undefined : parseStat(statText);
    if (stat === undefined) {
      if (statText !== undefined) this.onProblem('stat', `${dir}/stat`, new Error('unparsable stat line'));
      return { kind: 'gone' };
    }
    if (isKernelThread(stat)) return { kind: 'kernel-thread', pid, ppid: stat.ppid, startTime: stat.startTime };
    const statusText = this.readOptional('status', `${dir}/status`, (p) => this.fs.readText(p, MAX_STATUS_BYTES));
    const uid = statusText === undefined ? undefined : parseRealUid(statusText);
    // Without a uid the event would not validate; a process that vanished mid-read is skipped quietly.
    if (uid === undefined) return { kind: 'gone' };
    // Reading another process's argv takes its memory map lock: under a storm of execs, the slowest of these reads.
    const args = argv !== undefined && argv.length > 0 ? argv : this.readOptional('cmdline', `${dir}/cmdline`, (p) => this.fs.readBytes(p, MAX_COMMAND_LINE_BYTES));
    const cmdline = args === undefined ? '' : parseCmdline(args);
    const exe = this.readOptional('exe', `${dir}/exe`, (p) => this.fs.readlink(p));
    const info = {
      pid,
      ppid: stat.ppid,
      startTime: stat.startTime,
      uid,
      executable: exe !== undefined && exe !== '' ? exe : stat.comm,
      commandLine: cmdline !== '' ? cmdline : `[${stat.comm}]`,
      comm: stat.comm,
      state: stat.state,
    };
    return { kind: 'process', info };
  }

  private readOptional<T>(what: string, path: string, read: (path: string) => T): T | undefined {
    try {
      return read(path);
    } catch (err) {
      if (!isGone(err)) this.onProblem(what, path, err);
      return undefined;
    }
  }
}
