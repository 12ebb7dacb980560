/** wtmp/btmp records to logins, logouts and failed logins; remembers open sessions per terminal. */
import { type LoginObservation, type LoginSource, observation } from './observation.js';
import { UTMP_RECORD_SIZE, UtmpType, parseUtmpRecord, type UtmpRecord } from './utmp-record.js';

/** A session opened on a terminal, kept so the DEAD_PROCESS that closes it (no user in it) can name the user. */
export interface OpenSession {
  readonly user: string;
  readonly host: string;
  readonly address?: string;
  readonly pid: number;
}

/** Bounds the open-session map: a wtmp full of unmatched logins must not grow memory without end. */
export const MAX_OPEN_SESSIONS = 1024;

export interface UtmpCounters {
  records: number;
  garbage: number;
  truncated: number;
}

export function newCounters(): UtmpCounters {
  return { records: 0, garbage: 0, truncated: 0 };
}

/** Terminal names sshd uses for connections without a pty (btmp and non-interactive wtmp). */
function programOf(line: string): string | undefined {
  return line.startsWith('ssh') ? 'sshd' : undefined;
}

function base(r: UtmpRecord, operation: LoginObservation['operation'], source: LoginSource): LoginObservation {
  return observation(
    { operation, sources: [source], timeMs: r.timeMs },
    {
      user: r.user,
      pid: r.pid,
      terminal: r.line === '' ? undefined : r.line,
      program: programOf(r.line),
      remoteHost: r.host === '' ? undefined : r.host,
    },
  );
}

/**
 * Decodes whole records from `data`, returns the observations and how many bytes it used. With
 * `emit` false it only learns open sessions (the silent first pass over existing history).
 */
export class UtmpDecoder {
  readonly sessions = new Map<string, OpenSession>();

  constructor(
    private readonly source: 'wtmp' | 'btmp',
    readonly counters: UtmpCounters = newCounters(),
  ) {}

  decode(data: Buffer, final: boolean, emit = true): { observations: LoginObservation[]; used: number } {
    const observations: LoginObservation[] = [];
    const whole = data.length - (data.length % UTMP_RECORD_SIZE);
    for (let at = 0; at < whole; at += UTMP_RECORD_SIZE) {
      const parsed = parseUtmpRecord(data, at);
      if (parsed.kind === 'garbage') this.counters.garbage++;
      if (parsed.kind !== 'record') continue;
      this.counters.records++;
      const obs = this.source === 'btmp' ? this.failed(parsed.record) : this.session(parsed.record);
      if (obs !== undefined && emit) observations.push(obs);
    }
    // half a record at the end of a file that will never grow again is a truncated record
    if (final && whole < data.length) {
      this.counters.truncated++;
      return { observations, used: data.length };
    }
    return { observations, used: whole };
  }

  /** btmp: only login attempts (LOGIN_PROCESS, USER_PROCESS) are failed logins. */
  private failed(r: UtmpRecord): LoginObservation | undefined {
    if (r.type !== UtmpType.LOGIN_PROCESS && r.type !== UtmpType.USER_PROCESS) return undefined;
    return withAddress(base(r, 'LoginFailed', 'btmp'), r);
  }

  private session(r: UtmpRecord): LoginObservation | undefined {
    if (r.type === UtmpType.BOOT_TIME || (r.type === UtmpType.RUN_LVL && (r.pid % 256 === 48 || r.pid % 256 === 54))) {
      // a reboot or shutdown ends every session without DEAD_PROCESS records
      this.sessions.clear();
      return undefined;
    }
    if (r.type === UtmpType.USER_PROCESS && r.user !== '') {
      if (this.sessions.size >= MAX_OPEN_SESSIONS && !this.sessions.has(r.line)) {
        const oldest = this.sessions.keys().next();
        if (oldest.done !== true) this.sessions.delete(oldest.value);
      }
      this.sessions.set(r.line, {
        user: r.user,
        host: r.host,
        pid: r.pid,
        ...(r.address === undefined ? {} : { address: r.address }),
      });
      return withAddress(base(r, 'Login', 'wtmp'), r);
    }
    if (r.type === UtmpType.DEAD_PROCESS && r.line !== '') {
      const open = this.sessions.get(r.line);
      this.sessions.delete(r.line);
      const user = open?.user ?? r.user;
      if (user === '') return undefined;
      const host = open?.host ?? r.host;
      const address = open?.address ?? r.address;
      return observation(
        { operation: 'Logout', sources: ['wtmp'], timeMs: r.timeMs },
        {
          user,
          pid: open?.pid ?? r.pid,
          terminal: r.line,
          program: programOf(r.line),
          remoteHost: address ?? (host === '' ? undefined : host),
        },
      );
    }
    return undefined;
  }
}

/** Prefers the binary address over ut_host, which may be a DNS name. */
function withAddress(obs: LoginObservation, r: UtmpRecord): LoginObservation {
  return r.address === undefined ? obs : { ...obs, remoteHost: r.address };
}
