/** Pure parsers for the files the Process collector reads under `<hostRoot>/proc` and `/etc/passwd`. */

/** `PF_KTHREAD` from include/linux/sched.h: set in the flags of every kernel thread. */
export const PF_KTHREAD = 0x00200000;

/** kthreadd's pid: its children are kernel threads, even on kernels whose flags we cannot trust. */
const KTHREADD_PID = 2;

export interface StatFields {
  readonly pid: number;
  /** The command name (TASK_COMM_LEN 16): may hold spaces, parentheses and newlines. */
  readonly comm: string;
  /** One letter: R, S, D, Z, T, t, X, I, ... */
  readonly state: string;
  readonly ppid: number;
  readonly flags: number;
  /** Field 22: clock ticks after boot; with the pid it names one process for its whole life. */
  readonly startTime: number;
}

function isNonNegativeInt(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

/**
 * `/proc/<pid>/stat`. The comm sits between the first `(` and the LAST `)`, so a hostile name such
 * as `a) S 1 (b` cannot shift the numeric fields that follow it.
 */
export function parseStat(text: string): StatFields | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // After ") " come fields 3.. (state is field 3), so field N is at index N - 3.
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const ppid = Number(rest[1]);
  const flags = Number(rest[6]);
  const startTime = Number(rest[19]);
  if (state === undefined || state.length !== 1) return undefined;
  if (!isNonNegativeInt(pid) || pid === 0 || !isNonNegativeInt(ppid)) return undefined;
  if (!isNonNegativeInt(flags) || !isNonNegativeInt(startTime)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid, flags, startTime };
}

/** Kernel threads have PF_KTHREAD; kthreadd (pid 2) and its children are kernel threads too. */
export function isKernelThread(stat: StatFields): boolean {
  return (stat.flags & PF_KTHREAD) !== 0 || stat.pid === KTHREADD_PID || stat.ppid === KTHREADD_PID;
}

/**
 * The real uid: first number of the `Uid:` line of `/proc/<pid>/status`. The last such line wins
 * because only the `Name:` line before it could carry an injected one (the kernel escapes it anyway).
 */
export function parseRealUid(status: string): number | undefined {
  let uid: number | undefined;
  for (const m of status.matchAll(/^Uid:\s+(\d+)/gm)) uid = Number(m[1]);
  return uid;
}

/** `/proc/<pid>/cmdline`: NUL-separated argv; trailing NULs dropped, inner NULs become spaces. */
export function parseCmdline(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const copy = Buffer.from(bytes.subarray(0, end));
  for (let i = 0; i < copy.length; i++) if (copy[i] === 0) copy[i] = 0x20;
  return copy.toString('utf8');
}

/** `/etc/passwd` as uid -> name; the first line for a uid wins, as with getpwuid(3). */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [name, , uidText] = line.split(':');
    if (name === undefined || name === '' || uidText === undefined || !/^\d+$/.test(uidText)) continue;
    const uid = Number(uidText);
    if (!users.has(uid)) users.set(uid, name);
  }
  return users;
}

/** What `/proc/loadavg` says about tasks: together they change whenever a task starts or ends. */
export interface TaskCounters {
  /** Last field: the pid most recently handed out in the reader's pid namespace. */
  readonly lastPid: number;
  /** Fourth field after the `/`: tasks (threads included) alive in the whole system. */
  readonly tasks: number;
}

/** `/proc/loadavg`, e.g. `0.21 0.25 0.13 4/116 5792`; no regex or split: it is read every poll. */
export function parseLoadavg(loadavg: string): TaskCounters | undefined {
  let end = loadavg.length;
  while (end > 0 && loadavg.charCodeAt(end - 1) <= 32) end--;
  const space = loadavg.lastIndexOf(' ', end - 1);
  const slash = loadavg.lastIndexOf('/', space);
  if (space < 0 || slash < 0) return undefined;
  const lastPid = digitsAt(loadavg, space + 1, end);
  const tasks = digitsAt(loadavg, slash + 1, space);
  return lastPid === undefined || tasks === undefined ? undefined : { lastPid, tasks };
}

function digitsAt(text: string, from: number, to: number): number | undefined {
  if (to <= from || to - from > 10) return undefined;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n;
}

/** `/proc/loadavg`, last field: the pid most recently handed out in the reader's pid namespace. */
export function parseLastPid(loadavg: string): number | undefined {
  return parseLoadavg(loadavg)?.lastPid;
}

/** A `/proc` entry that is a process directory: digits only, no leading zero. */
export function isPidName(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > 10) return false;
  const first = name.charCodeAt(0);
  if (first < 49 || first > 57) return false;
  for (let i = 1; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
