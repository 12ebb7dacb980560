/** One poll of /proc: list pids, recheck the few that may have been reused, read only new ones. */
import type { Clock, CollectedEvent } from '../types.js';
import type { PasswdCache } from './passwd.js';
import { diffProcesses, inCyclicRange } from './process-diff.js';
import { processCreateEvent, processTerminateEvent } from './process-events.js';
import type { TaskCounters } from './parse.js';
import type { ProcReader, ProcessInfo } from './proc-reader.js';

/**
 * How known pids are checked for reuse without rereading every stat file:
 * - `last-pid`: only pids inside the range the kernel allocated since the last poll (from
 *   /proc/loadavg) can have been reused; needs /proc to be our own pid namespace.
 * - `inode`: one stat() per known pid; procfs gives a reused pid's directory a new inode.
 */
export type ReuseCheck = 'last-pid' | 'inode';

interface Tracked {
  readonly pid: number;
  readonly startTime: number;
  ino?: number;
  /** Undefined for processes we do not report (kernel threads, the agent's own children). */
  readonly info?: ProcessInfo;
}

export interface PollerOptions {
  readonly reader: ProcReader;
  readonly passwd: PasswdCache;
  readonly clock: Clock;
  readonly reuseCheck: ReuseCheck;
  readonly ownPids?: () => ReadonlySet<number>;
  /** Let the event loop run after this many new pids (a burst of forks must not block the agent). */
  readonly yieldEvery?: number;
  /**
   * `last-pid` only: polls in a row that may skip listing /proc because /proc/loadavg is unchanged
   * (default 9: at 100 ms, /proc is listed at least once a second whatever loadavg says).
   */
  readonly maxQuietPolls?: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ProcessPoller {
  private readonly known = new Map<number, Tracked>();
  private baselineDone = false;
  private previousLastPid: number | undefined;
  /** /proc/loadavg as read just before the last listing. */
  private listedWith: TaskCounters | undefined;
  /** Read by quiet() for the poll() that follows it, so loadavg is read once per tick. */
  private pending: TaskCounters | undefined;
  private quietPolls = 0;

  constructor(private readonly o: PollerOptions) {}

  get trackedCount(): number {
    return this.known.size;
  }

  /**
   * The first call records what runs already and returns no events; later calls return the
   * terminations, then the creations, seen since the call before. Throws only if /proc cannot be listed.
   */
  async poll(): Promise<CollectedEvent[]> {
    if (this.quiet()) return [];
    const { reader } = this.o;
    // Read before listing (by quiet()): a task started or ended after the read changes the next one.
    const counters = this.pending;
    this.pending = undefined;
    const lastPid = counters?.lastPid;
    const listed = reader.listPids();
    this.listedWith = counters;
    this.quietPolls = 0;
    const now = this.o.clock.now();
    const rechecked = this.baselineDone ? this.recheck(listed, lastPid) : new Map<number, number | undefined>();
    this.previousLastPid = lastPid;
    const { created, terminated } = diffProcesses(this.known, listed, rechecked);
    const events: CollectedEvent[] = [];
    for (const gone of terminated) {
      this.known.delete(gone.pid);
      if (gone.info) events.push(processTerminateEvent(gone.info, now));
    }
    if (created.length > 0) this.o.passwd.refresh();
    const own = created.length > 0 ? this.o.ownPids?.() : undefined;
    const yieldEvery = this.o.yieldEvery ?? 128;
    for (let i = 0; i < created.length; i++) {
      if (i > 0 && i % yieldEvery === 0) await yieldToEventLoop();
      const pid = created[i] as number;
      const tracked = this.track(pid, own);
      if (tracked === undefined) continue;
      this.known.set(pid, tracked);
      if (this.baselineDone && tracked.info) events.push(processCreateEvent(tracked.info, now));
    }
    this.baselineDone = true;
    return events;
  }

  /**
   * Synchronous and cheap (one read of /proc/loadavg): true when no task can have started or ended
   * since the last listing, so there is nothing to diff. A task start always moves the last pid (the
   * pid is taken from every ancestor namespace's counter too); with no start, the task count only
   * drops, so equal counters mean no exit either. The count is system-wide: in a child pid namespace
   * an exit here can be masked by a start elsewhere, hence the periodic listing (maxQuietPolls).
   */
  quiet(): boolean {
    if (this.o.reuseCheck !== 'last-pid') return false;
    const now = this.pending ?? this.o.reader.taskCounters();
    this.pending = now;
    const prev = this.listedWith;
    if (!this.baselineDone || now === undefined || prev === undefined) return false;
    if (now.lastPid !== prev.lastPid || now.tasks !== prev.tasks) return false;
    if (this.quietPolls >= (this.o.maxQuietPolls ?? 9)) return false;
    this.quietPolls++;
    this.pending = undefined;
    return true;
  }

  /** Start times reread for the known, listed pids that may belong to a new process now. */
  private recheck(listed: readonly number[], lastPid: number | undefined): Map<number, number | undefined> {
    const rechecked = new Map<number, number | undefined>();
    const { reader } = this.o;
    const from = this.previousLastPid;
    for (const pid of listed) {
      const old = this.known.get(pid);
      if (old === undefined) continue;
      let suspect: boolean;
      if (this.o.reuseCheck === 'inode') {
        const ino = reader.dirIno(pid);
        suspect = ino !== old.ino;
        if (suspect && ino !== undefined) old.ino = ino;
      } else {
        // No usable last pid this time: recheck everything rather than miss a reuse.
        suspect = from === undefined || lastPid === undefined || inCyclicRange(pid, from, lastPid);
      }
      if (suspect) rechecked.set(pid, reader.startTime(pid));
    }
    return rechecked;
  }

  private track(pid: number, own: ReadonlySet<number> | undefined): Tracked | undefined {
    // Inode first: if the pid is reused right after, the next poll sees a different inode.
    const ino = this.o.reuseCheck === 'inode' ? this.o.reader.dirIno(pid) : undefined;
    const outcome = this.o.reader.read(pid);
    if (outcome.kind === 'gone') return undefined;
    const base: Tracked = { pid, startTime: outcome.kind === 'process' ? outcome.info.startTime : outcome.startTime };
    if (ino !== undefined) base.ino = ino;
    if (outcome.kind === 'kernel-thread') return base;
    const { info } = outcome;
    // The agent's own children (and theirs) are not device activity.
    if (own && (own.has(pid) || own.has(info.ppid))) return base;
    const userName = this.o.passwd.lookup(info.uid);
    return { ...base, info: userName === undefined ? info : { ...info, userName } };
  }
}
