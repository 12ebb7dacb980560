/**
 * One login seen by several sources (wtmp and sshd's log, btmp and sshd's log, sshd's line and
 * pam_unix's) becomes one observation with the details of all. Observations wait MERGE_WINDOW_MS
 * for partners, then leave, merged or alone.
 */
import type { LoginObservation, LoginSource } from './observation.js';
import { ipAddressOf } from './text-bounds.js';

/** sshd logs "Accepted" just before it writes wtmp (on pty allocation); 5 s covers a slow device and two polls. */
export const MERGE_WINDOW_MS = 5_000;
/** Bounds memory under a flood of failed logins: the oldest pending observation leaves early. */
export const MAX_PENDING = 4096;

type Family = 'utmp' | 'log' | 'log-weak' | 'pam';

const FAMILY: Readonly<Record<LoginSource, Family>> = {
  wtmp: 'utmp',
  btmp: 'utmp',
  'sshd-log': 'log',
  journal: 'log',
  'sshd-log-weak': 'log-weak',
  pam: 'pam',
};

function families(o: LoginObservation): Set<Family> {
  return new Set(o.sources.map((s) => FAMILY[s]));
}

function sameHost(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  return (ipAddressOf(a) ?? a) === (ipAddressOf(b) ?? b);
}

/** Whether two observations describe the same login. */
export function sameLogin(a: LoginObservation, b: LoginObservation, windowMs = MERGE_WINDOW_MS): boolean {
  if (a.operation !== b.operation || a.user !== b.user) return false;
  if (Math.abs(a.timeMs - b.timeMs) > windowMs) return false;
  const fa = families(a);
  const fb = families(b);
  if ([...fa].some((f) => fb.has(f))) return false;
  const weak = fa.has('log-weak') || fb.has('log-weak');
  // a console login and an ssh login of the same user are different logins
  if (!weak && (a.remoteHost === undefined) !== (b.remoteHost === undefined)) return false;
  if (!sameHost(a.remoteHost, b.remoteHost)) return false;
  // btmp and sshd's line of one failed attempt carry the same pid (the connection's sshd)
  if (a.operation === 'LoginFailed' && a.pid !== undefined && b.pid !== undefined && a.pid !== b.pid) return false;
  return true;
}

const rank = (o: LoginObservation): number => (families(o).has('log') ? 0 : families(o).has('log-weak') ? 2 : 1);

/** The sshd line knows the handling process, method and port; wtmp knows the terminal. */
export function combine(a: LoginObservation, b: LoginObservation): LoginObservation {
  const [first, second] = rank(a) <= rank(b) ? [a, b] : [b, a];
  const utmp = families(a).has('utmp') ? a : families(b).has('utmp') ? b : undefined;
  const merged: Record<string, unknown> = { ...second, ...first };
  merged['sources'] = [...new Set([...first.sources, ...second.sources])];
  merged['timeMs'] = Math.min(a.timeMs, b.timeMs);
  if (utmp?.terminal !== undefined) merged['terminal'] = utmp.terminal;
  if (utmp?.pid !== undefined && first !== utmp && first.pid !== undefined && first.pid !== utmp.pid) merged['sessionPid'] = utmp.pid;
  if (first.remoteHost === undefined && second.remoteHost !== undefined) merged['remoteHost'] = second.remoteHost;
  return merged as unknown as LoginObservation;
}

export class LoginMerger {
  private pending: { obs: LoginObservation; heldSince: number }[] = [];

  constructor(private readonly windowMs = MERGE_WINDOW_MS, private readonly maxPending = MAX_PENDING) {}

  get size(): number {
    return this.pending.length;
  }

  /** Adds one observation; returns what had to leave early to stay within maxPending. */
  add(obs: LoginObservation, nowMs: number): LoginObservation[] {
    const partner = this.pending.find((p) => sameLogin(p.obs, obs, this.windowMs));
    if (partner !== undefined) {
      partner.obs = combine(partner.obs, obs);
      return [];
    }
    this.pending.push({ obs, heldSince: nowMs });
    return this.pending.length > this.maxPending ? this.pending.splice(0, this.pending.length - this.maxPending).map((p) => p.obs) : [];
  }

  /** What waited long enough (everything with `all`), oldest first. */
  flush(nowMs: number, all = false): LoginObservation[] {
    const ready = this.pending.filter((p) => all || nowMs - p.heldSince >= this.windowMs);
    this.pending = this.pending.filter((p) => !ready.includes(p));
    return ready.map((p) => p.obs);
  }
}
