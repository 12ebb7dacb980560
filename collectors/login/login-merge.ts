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

const familyCache = new WeakMap<LoginObservation, Set<Family>>();

/** Cached per observation: a flood of failed logins compares each new one with thousands pending. */
function families(o: LoginObservation): Set<Family> {
  let f = familyCache.get(o);
  if (f === undefined) {
    f = new Set(o.sources.map((s) => FAMILY[s]));
    familyCache.set(o, f);
  }
  return f;
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

interface Pending { obs: LoginObservation; heldSince: number }

/** Only observations of the same operation and user can be one login. */
const keyOf = (o: LoginObservation): string => `${o.operation}\u0000${o.user ?? ''}`;

export class LoginMerger {
  private pending: Pending[] = [];
  private byKey = new Map<string, Pending[]>();

  constructor(private readonly windowMs = MERGE_WINDOW_MS, private readonly maxPending = MAX_PENDING) {}

  get size(): number {
    return this.pending.length;
  }

  /** Adds one observation; returns what had to leave early to stay within maxPending. */
  add(obs: LoginObservation, nowMs: number): LoginObservation[] {
    const key = keyOf(obs);
    const partner = this.byKey.get(key)?.find((p) => sameLogin(p.obs, obs, this.windowMs));
    if (partner !== undefined) {
      partner.obs = combine(partner.obs, obs);
      return [];
    }
    const entry = { obs, heldSince: nowMs };
    this.pending.push(entry);
    const same = this.byKey.get(key);
    if (same === undefined) this.byKey.set(key, [entry]);
    else same.push(entry);
    if (this.pending.length <= this.maxPending) return [];
    const early = this.pending.splice(0, this.pending.length - this.maxPending);
    for (const p of early) this.unindex(p);
    return early.map((p) => p.obs);
  }

  /** The oldest entries leave first, so each is at (or near) the front of its key's list. */
  private unindex(entry: Pending): void {
    const key = keyOf(entry.obs);
    const same = this.byKey.get(key);
    if (same === undefined) return;
    const at = same.indexOf(entry);
    if (at >= 0) same.splice(at, 1);
    if (same.length === 0) this.byKey.delete(key);
  }

  private reindex(): void {
    this.byKey = new Map();
    for (const p of this.pending) {
      const key = keyOf(p.obs);
      const same = this.byKey.get(key);
      if (same === undefined) this.byKey.set(key, [p]);
      else same.push(p);
    }
  }

  /** When flush() next lets something leave (the oldest held one's window ends); undefined when nothing is held. */
  nextDueAt(): number | undefined {
    const oldest = this.pending[0];
    return oldest === undefined ? undefined : oldest.heldSince + this.windowMs;
  }

  /** What waited long enough (everything with `all`), oldest first. */
  flush(nowMs: number, all = false): LoginObservation[] {
    // Entries are held in arrival order, so what is ready is a prefix.
    let n = 0;
    while (n < this.pending.length && (all || nowMs - (this.pending[n]?.heldSince ?? nowMs) >= this.windowMs)) n++;
    if (n === 0) return [];
    const ready = this.pending.splice(0, n);
    if (ready.length > this.pending.length) this.reindex();
    else for (const p of ready) this.unindex(p);
    return ready.map((p) => p.obs);
  }
}
