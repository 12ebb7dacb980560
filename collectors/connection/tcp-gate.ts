/**
 * Skipping the tcp/tcp6 tables on quiet polls: every TCP connection a namespace gains passes through the
 * kernel's `tcp_connect()` (ActiveOpens) or `tcp_create_openreq_child()` (PassiveOpens), IPv4 and IPv6 alike,
 * and both counters are per namespace in `<netDir>/snmp`. If neither moved since the last full read, and that
 * read saw no socket that could still become a reportable connection without moving them, nothing new is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { GatedFile } from '../types.js';

/**
 * A full tcp/tcp6 read at least this often, so closed sockets are forgotten and a kernel path we did not foresee is
 * bounded. Not more often: the kernel takes milliseconds to print a table of a few thousand sockets (README).
 */
export const TCP_FULL_READ_MS = 60_000;

/**
 * Whether a TCP row, read in a full read, may become a connection later without either counter moving:
 * SYN_SENT/SYN_RECV (counted when they started, established later) and an inode-less ESTABLISHED/CLOSE_WAIT
 * child waiting in a listener's accept queue (counted at the handshake, gets its inode at accept()).
 */
export function tcpPending(state: number, inode: number): boolean {
  return state === 2 || state === 3 || (inode === 0 && (state === 1 || state === 8));
}

function numberAt(fields: readonly string[], index: number): string | undefined {
  const v = index < 0 ? undefined : fields[index];
  return v !== undefined && /^\d+$/.test(v) ? v : undefined;
}

/** `ActiveOpens PassiveOpens` of the `Tcp:` lines of a `snmp` file, as one comparable string; undefined if absent or malformed. */
export function parseTcpOpens(snmp: string): string | undefined {
  const head = snmp.indexOf('\nTcp:') + 1 || (snmp.startsWith('Tcp:') ? 0 : -1);
  if (head < 0) return undefined;
  const headEnd = snmp.indexOf('\n', head);
  if (headEnd < 0 || !snmp.startsWith('Tcp:', headEnd + 1)) return undefined;
  let valuesEnd = snmp.indexOf('\n', headEnd + 1);
  if (valuesEnd < 0) valuesEnd = snmp.length;
  const names = snmp.slice(head, headEnd).trim().split(/\s+/);
  const values = snmp.slice(headEnd + 1, valuesEnd).trim().split(/\s+/);
  if (names.length !== values.length) return undefined;
  const active = numberAt(values, names.indexOf('ActiveOpens'));
  const passive = numberAt(values, names.indexOf('PassiveOpens'));
  return active === undefined || passive === undefined ? undefined : `${active} ${passive}`;
}

/** The counters of a namespace; undefined when `snmp` is missing, unreadable or malformed (then every poll reads the tables). */
export function readTcpOpens(netDir: string): string | undefined {
  try {
    // Sync: a ~1 KB file generated in microseconds; the async path would cost more than the read.
    return parseTcpOpens(readFileSync(`${netDir}/snmp`, 'latin1'));
  } catch {
    return undefined;
  }
}

/**
 * What the change gate watches for a namespace: `snmp` (IP, TCP, UDP counters) and `snmp6` where IPv6 is on, every
 * byte of them, so any socket's traffic or opening moves one.
 */
export function counterFiles(netDir: string): GatedFile[] {
  const paths = [`${netDir}/snmp`, `${netDir}/snmp6`].filter((path, i) => i === 0 || existsSync(path));
  return paths.map((path) => ({ path, kind: 'content' }));
}

interface FullRead { readonly opens: string; readonly pending: boolean; readonly at: number }

/** Per namespace id: the counters read just before its last full tcp/tcp6 read, and what that read saw. */
export class TcpGate {
  private readonly last = new Map<string, FullRead>();

  /** True when `opens` (read before this poll's tables) allows skipping tcp/tcp6 of namespace `id` now. */
  canSkip(id: string, opens: string | undefined, now: number): boolean {
    const last = this.last.get(id);
    if (opens === undefined || last === undefined || last.pending || last.opens !== opens) return false;
    return now >= last.at && now - last.at < TCP_FULL_READ_MS; // a clock stepped back forces a read too
  }

  /** After a successful full read; `opens` must have been read before the tables, so an open in between moves it. */
  record(id: string, opens: string | undefined, pending: boolean, now: number): void {
    if (opens === undefined) this.last.delete(id);
    else this.last.set(id, { opens, pending, at: now });
  }

  /** Whether some namespace's last full read saw a socket that may still become a connection (see tcpPending). */
  get pending(): boolean {
    for (const read of this.last.values()) if (read.pending) return true;
    return false;
  }

  forget(id: string): void {
    this.last.delete(id);
  }

  retain(ids: ReadonlySet<string>): void {
    for (const id of this.last.keys()) if (!ids.has(id)) this.last.delete(id);
  }
}
