/** sshd's own log lines (syslog files, the journal, `sshd -E`), OpenSSH before and after 9.8. */
import { type LoginObservation, type LoginSource, observation } from './observation.js';
import { CAPS, boundedText } from './text-bounds.js';

/** Program names of OpenSSH's server: `sshd` up to 9.7, `sshd-session`/`sshd-auth` since 9.8/10.0. */
export const SSHD_PROGRAMS: readonly string[] = ['sshd', 'sshd-session', 'sshd-auth'];

export interface SyslogLine {
  readonly timeMs?: number;
  readonly program?: string;
  readonly pid?: number;
  readonly message: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) \S+ ([^\s[:]+)(?:\[(\d+)\])?: (.*)$/;
const TRADITIONAL = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) \S+ ([^\s[:]+)(?:\[(\d+)\])?: (.*)$/;

/**
 * Splits a syslog line (RFC 3339 or traditional timestamps). A line without a syslog prefix is taken
 * as a bare sshd message, as `sshd -E file` writes them. `nowMs` dates traditional lines, which lack a year.
 */
export function splitSyslogLine(line: string, nowMs: number): SyslogLine {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const r = RFC3339.exec(text);
  if (r !== null) {
    const t = Date.parse(r[1] ?? '');
    return withOptional({ message: r[4] ?? '', program: r[2] }, Number.isNaN(t) ? undefined : t, r[3]);
  }
  const t = TRADITIONAL.exec(text);
  if (t !== null) {
    const month = MONTHS.indexOf(t[1] ?? '');
    const now = new Date(nowMs);
    const at = (year: number): number =>
      new Date(year, month, Number(t[2]), Number(t[3]), Number(t[4]), Number(t[5])).getTime();
    // a December line read in January belongs to last year
    let ms = at(now.getFullYear());
    if (ms > nowMs + 86_400_000) ms = at(now.getFullYear() - 1);
    return withOptional({ message: t[8] ?? '', program: t[6] }, month < 0 ? undefined : ms, t[7]);
  }
  return { message: text };
}

function withOptional(base: { message: string; program: string | undefined }, timeMs: number | undefined, pid: string | undefined): SyslogLine {
  return {
    message: base.message,
    ...(base.program === undefined ? {} : { program: base.program }),
    ...(timeMs === undefined ? {} : { timeMs }),
    ...(pid === undefined ? {} : { pid: Number(pid) }),
  };
}

// dotAll: a name may hold newlines (journal); greedy user names: a hostile name containing " from X port N" cannot move the real tail
const ACCEPTED = /^Accepted (\S+) for (.+) from (\S+) port (\d+)(?: ssh2)?(?:: .*)?$/s;
const FAILED = /^Failed (\S+) for (invalid user )?(.*) from (\S+) port (\d+)(?: ssh2)?(?:: .*)?$/s;
const INVALID = /^Invalid user (.*) from (\S+)(?: port (\d+))?$/s;
const DISCONNECTED = /^Disconnected from user (.+) (\S+) port (\d+)$/s;
const PAM_SESSION = /^pam_unix\(sshd:session\): session (opened|closed) for user (.+?)(?:\(uid=\d+\))?(?: by .*)?$/s;

export interface SshdMessageContext {
  readonly timeMs: number;
  readonly pid?: number;
  readonly program?: string;
  readonly source: 'sshd-log' | 'journal';
}

/** One sshd message (without the syslog prefix) to an observation, or undefined when it is not one. */
export function parseSshdMessage(message: string, ctx: SshdMessageContext): LoginObservation | undefined {
  const msg = message.replace(/\r$/, '').replace(/ \[preauth\]$/, '');
  const make = (
    operation: LoginObservation['operation'],
    user: string,
    host: string | undefined,
    port: string | undefined,
    extra: { method?: string; invalidUser?: boolean; source?: LoginSource } = {},
  ): LoginObservation =>
    observation(
      { operation, sources: [extra.source ?? ctx.source], timeMs: ctx.timeMs },
      {
        user: boundedText(user, CAPS.user),
        pid: ctx.pid,
        program: boundedText(ctx.program ?? 'sshd', CAPS.program),
        remoteHost: host === undefined ? undefined : boundedText(host, CAPS.host),
        remotePort: port === undefined ? undefined : portOf(port),
        method: extra.method === undefined ? undefined : boundedText(extra.method, CAPS.method),
        invalidUser: extra.invalidUser,
      },
    );
  let m = ACCEPTED.exec(msg);
  if (m !== null) return make('Login', m[2] ?? '', m[3], m[4], { method: m[1] ?? '' });
  m = FAILED.exec(msg);
  // "Failed none" is the client's probe for allowed methods, not an attempt with a credential
  if (m !== null && m[1] !== 'none') {
    return make('LoginFailed', m[3] ?? '', m[4], m[5], { method: m[1] ?? '', ...(m[2] === undefined ? {} : { invalidUser: true }) });
  }
  if (m !== null) return undefined;
  m = INVALID.exec(msg);
  if (m !== null) return make('LoginFailed', m[1] ?? '', m[2], m[3], { invalidUser: true });
  m = DISCONNECTED.exec(msg);
  if (m !== null) return make('Logout', m[1] ?? '', m[2], m[3]);
  m = PAM_SESSION.exec(msg);
  // older OpenSSH logs no "Disconnected from user": pam_unix's lines stand in, merged when both exist
  if (m !== null) return make(m[1] === 'opened' ? 'Login' : 'Logout', (m[2] ?? '').trimEnd(), undefined, undefined, { source: 'sshd-log-weak' });
  return undefined;
}

function portOf(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined;
}

/** A whole syslog line; lines of other programs are ignored. */
export function parseSshdLogLine(line: string, nowMs: number): LoginObservation | undefined {
  const s = splitSyslogLine(line, nowMs);
  if (s.program !== undefined && !SSHD_PROGRAMS.includes(s.program)) return undefined;
  return parseSshdMessage(s.message, {
    timeMs: s.timeMs ?? nowMs,
    source: 'sshd-log',
    ...(s.pid === undefined ? {} : { pid: s.pid }),
    ...(s.program === undefined ? {} : { program: s.program }),
  });
}
