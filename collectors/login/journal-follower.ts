/** sshd's lines from the systemd journal: one long-running `journalctl -f -o json`, resumed from a saved cursor. */
import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { Clock, SpawnedChildren } from '../types.js';
import type { LoginObservation } from './observation.js';
import { SSHD_PROGRAMS, parseSshdMessage } from './sshd-log-parse.js';
import { MAX_LINE_BYTES, decodeBytes } from './text-bounds.js';

export interface JournalEntry {
  readonly cursor?: string;
  readonly observation?: LoginObservation;
}

/** journald sends MESSAGE as an array of bytes when it is not valid UTF-8. */
function messageText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => typeof b === 'number')) return decodeBytes(Uint8Array.from(value as number[]));
  return undefined;
}

/** A systemd unit of OpenSSH's server: `ssh.service`, `sshd.service`, or a socket-activated `sshd@...service`. */
const SSHD_UNIT = /^sshd?(@[^/]*)?\.service$/;

const field = (e: Record<string, unknown>, name: string): string | undefined => (typeof e[name] === 'string' ? e[name] : undefined);

/** `root`: sshd's privileged processes (all logins and failures); `session`: its child running as the logged-in user. */
export type JournalSender = 'root' | 'session';

/**
 * Who sent the entry, judged only by fields journald sets itself from the sender's credentials and
 * /proc (a client cannot set `_` fields), never by SYSLOG_IDENTIFIER, which `logger -t sshd` sets for
 * any user. journald reads `_EXE`, `_COMM`, `_SYSTEMD_UNIT` when the entry arrives, so they are
 * missing when the sender already exited: then only `_UID=0` vouches, which no user can fake.
 */
export function journalSender(e: Record<string, unknown>): JournalSender | undefined {
  const exe = field(e, '_EXE');
  const exeIsSshd = exe !== undefined && SSHD_PROGRAMS.includes(basename(exe.replace(/ \(deleted\)$/, '')));
  // after login sshd's session child runs as the user and logs the disconnect; only its executable vouches for it
  if (field(e, '_UID') !== '0') return exeIsSshd ? 'session' : undefined;
  if (exe !== undefined) return exeIsSshd ? 'root' : undefined;
  const comm = field(e, '_COMM');
  if (comm !== undefined) return SSHD_PROGRAMS.includes(comm) ? 'root' : undefined;
  const unit = field(e, '_SYSTEMD_UNIT');
  return unit === undefined || SSHD_UNIT.test(unit) ? 'root' : undefined;
}

/**
 * journalctl's filter (the parser decides on each entry): root's entries tagged as sshd, or entries
 * of a process named like sshd (its session child). A user's `logger -t sshd` is neither.
 */
export const JOURNAL_MATCHES: readonly string[] = [
  '_UID=0',
  ...SSHD_PROGRAMS.map((p) => `SYSLOG_IDENTIFIER=${p}`),
  '+',
  ...SSHD_PROGRAMS.map((p) => `_COMM=${p}`),
];

/** One `journalctl -o json` line; lines that are not JSON objects, or not sent by sshd, yield nothing. */
export function parseJournalLine(line: string, nowMs: number): JournalEntry {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return {};
  }
  if (typeof entry !== 'object' || entry === null) return {};
  const e = entry as Record<string, unknown>;
  const cursor = typeof e['__CURSOR'] === 'string' ? e['__CURSOR'] : undefined;
  const program = typeof e['SYSLOG_IDENTIFIER'] === 'string' ? e['SYSLOG_IDENTIFIER'] : undefined;
  const message = messageText(e['MESSAGE']);
  const withCursor = cursor === undefined ? {} : { cursor };
  const sender = journalSender(e);
  if (message === undefined || (program !== undefined && !SSHD_PROGRAMS.includes(program)) || sender === undefined) return withCursor;
  const pid = Number(e['_PID'] ?? e['SYSLOG_PID']);
  const micros = Number(e['__REALTIME_TIMESTAMP']);
  const obs = parseSshdMessage(message, {
    timeMs: Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1000) : nowMs,
    source: 'journal',
    ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}),
    ...(program === undefined ? {} : { program }),
  });
  // the unprivileged child knows only that the session ended: anything else from it is not trusted
  if (obs === undefined || (sender === 'session' && obs.operation !== 'Logout')) return withCursor;
  return { ...withCursor, observation: obs };
}

/** journalctl's arguments: an array, never a shell line. First run starts at the end (`--lines=0`). */
export function journalArgs(cursor: string | undefined, hostRoot: string): string[] {
  const args = ['--follow', '--output=json', '--no-pager', '--quiet'];
  if (hostRoot !== '/' && hostRoot !== '') args.push(`--root=${hostRoot}`);
  args.push(cursor === undefined ? '--lines=0' : `--after-cursor=${cursor}`);
  args.push(...JOURNAL_MATCHES);
  return args;
}

export interface JournalFollowerOptions {
  readonly command: string;
  readonly hostRoot: string;
  readonly clock: Clock;
  readonly onObservation: (obs: LoginObservation) => void;
  readonly onProblem: (problem: string) => void;
  readonly cursor: string | undefined;
  /** Where journalctl is registered as the agent's own child. */
  readonly spawned?: SpawnedChildren;
}

/** Restarts journalctl when it exits, 5 s later, doubling to at most 5 min. */
export class JournalFollower {
  private child: ChildProcess | undefined;
  private cancelRestart: (() => void) | undefined;
  private stopped = false;
  private backoffMs = 5_000;
  private buffered = Buffer.alloc(0);
  cursor: string | undefined;
  running = false;

  constructor(private readonly opts: JournalFollowerOptions) {
    this.cursor = opts.cursor;
  }

  start(): void {
    if (this.stopped) return;
    const child = spawn(this.opts.command, journalArgs(this.cursor, this.opts.hostRoot), { stdio: ['ignore', 'pipe', 'ignore'] });
    this.opts.spawned?.add(child);
    this.child = child;
    child.on('spawn', () => {
      this.running = true;
    });
    child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    child.on('error', (err) => this.opts.onProblem(`journalctl: ${err.message}`));
    child.on('close', (code) => {
      this.running = false;
      this.child = undefined;
      this.buffered = Buffer.alloc(0);
      if (this.stopped) return;
      this.opts.onProblem(`journalctl exited (${String(code)}); restarting in ${this.backoffMs / 1000} s`);
      this.cancelRestart = this.opts.clock.setTimeout(() => this.start(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 300_000);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    let nl: number;
    while ((nl = this.buffered.indexOf(0x0a)) >= 0) {
      const line = this.buffered.subarray(0, nl).toString('utf8');
      this.buffered = this.buffered.subarray(nl + 1);
      this.onLine(line);
    }
    // journal entries are small; an endless line is dropped rather than buffered without bound
    if (this.buffered.length > MAX_LINE_BYTES * 16) this.buffered = Buffer.alloc(0);
  }

  private onLine(line: string): void {
    const entry = parseJournalLine(line, this.opts.clock.now());
    if (entry.cursor !== undefined) {
      this.cursor = entry.cursor;
      this.backoffMs = 5_000;
    }
    if (entry.observation !== undefined) this.opts.onObservation(entry.observation);
  }

  /** Idempotent. */
  stop(): void {
    this.stopped = true;
    this.cancelRestart?.();
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }
}
