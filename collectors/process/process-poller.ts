/** One poll of /proc: list pids, recheck the few that may have been reused, read only new ones. */
import type { Clock, CollectedEvent, SpawnedChildren } from '../types.js';
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
  info?: ProcessInfo;
  /** Clock time of the poll that first listed it. */
  readonly seenAt: number;
  /** Spawned by the agent, or a descendant of such a child: never reported. */
  readonly own?: boolean;
  /** Its ProcessCreate is held back: it still ran its parent's program (forked, not yet exec'd). */
  pending?: boolean;
}

export interface PollerOptions {
  readonly reader: ProcReader;
  readonly passwd: PasswdCache;
  readonly clock: Clock;
  readonly reuseCheck: ReuseCheck;
  /** The agent's own children: they and their descendants are not reported. */
  readonly spawned?: SpawnedChildren;
  /** Let the event loop run after this many new pids (a burst of forks must not block the agent). */
  readonly yieldEvery?: number;
  /**
   * `last-pid` only: polls in a row that may skip listing /proc because /proc/loadavg is unchanged
   * (default 9: at 100 ms, /proc is listed at least once a second whatever loadavg says; the collector allows a
   * minute in the initial pid namespace, where the counters cannot miss a start or an exit).
   */
  readonly maxQuietPolls?: number;
  /**
   * How long a new process is watched for an exec (default 1000 ms): its program is reread every
   * poll, and a child still running its parent's program is reported only once it exec'd or the
   * window ends, so a child listed between fork and exec is not reported as its parent.
   */
  readonly youngMs?: number;
  /** Known processes whose executable link is reread per listing poll, round robin (default 16): a late exec. */
  readonly sweepPerPoll?: number;
  /** The same per quiet tick (default 2): an exec without a fork moves no loadavg counter. */
  readonly sweepPerQuietTick?: number;
}

/** Replacing a running binary (an upgrade) adds this to the exe link; that is not an exec. */
const DELETED_SUFFIX = ' (deleted)';
const sameExe = (a: string, b: string): boolean => (a.endsWith(DELETED_SUFFIX) ? a.slice(0, -DELETED_SUFFIX.length) : a)
  === (b.endsWith(DELETED_SUFFIX) ? b.slice(0, -DELETED_SUFFIX.length) : b);

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
  /** Pids still inside their young window. */
  private readonly young = new Set<number>();
  /** Round-robin queue of known pids for the late-exec sweep. */
  private sweepQueue: number[] = [];

  constructor(private readonly o: PollerOptions) {}

  get trackedCount(): number {
    return this.known.size;
  }

  /**
   * The first call records what runs already and returns no events; later calls return the
   * terminations, then the creations, seen since the call before. Throws only if /proc cannot be listed.
   */
  async poll(): Promise<CollectedEvent[]> {
    if (this.quiet()) return this.quietSweep();
    const { reader } = this.o;
    // Read before listing (by quiet()): a task started or ended after the read changes the next one.
    const counters = this.pending;
    this.pending = undefined;
    const lastPid = counters?.lastPid;
    const listed = reader.listPids();
    this.listedWith = counters;
    this.quietPolls = 0;
    const now = this.o.clock.now();
    const rechecked = this.baselineDone ? await this.recheck(listed, lastPid) : new Map<number, number | undefined>();
    this.previousLastPid = lastPid;
    const { created, terminated } = diffProcesses(this.known, listed, rechecked);
    const events: CollectedEvent[] = [];
    for (const gone of terminated) {
      this.known.delete(gone.pid);
      this.young.delete(gone.pid);
      if (!gone.info) continue;
      // Held back and gone before it exec'd: what it ran is all there is to report, late rather than never.
      if (gone.pending) events.push(processCreateEvent(gone.info, gone.seenAt));
      events.push(processTerminateEvent(gone.info, now));
    }
    if (created.length > 0) this.o.passwd.refresh();
    // Young ones first: a parent that exec'd since the last poll must be known as its new program
    // before its children are compared with it.
    // About 50 µs of /proc reads per process: 32 hold the host program's event loop for a few ms at most.
    const yieldEvery = this.o.yieldEvery ?? 32;
    if (this.baselineDone) await this.watchYoung(now, events, yieldEvery);
    for (let i = 0; i < created.length; i++) {
      if (i > 0 && i % yieldEvery === 0) await yieldToEventLoop();
      const pid = created[i] as number;
      const tracked = this.track(pid, now);
      if (tracked === undefined) continue;
      this.known.set(pid, tracked);
      if (!this.baselineDone || !tracked.info) continue;
      this.young.add(pid);
      tracked.pending = this.midExec(tracked.info);
      if (!tracked.pending) events.push(processCreateEvent(tracked.info, now));
    }
    if (this.baselineDone) this.sweep(now, events);
    this.baselineDone = true;
    return events;
  }

  /**
   * Still running its parent's program (listed between fork and exec), or caught inside execve
   * (argv not yet set up, so the command line reads empty): what it runs is not known yet.
   */
  private midExec(info: ProcessInfo): boolean {
    if (info.state !== 'Z' && info.commandLine === `[${info.comm}]`) return true;
    const parent = this.known.get(info.ppid)?.info;
    return parent !== undefined && sameExe(parent.executable, info.executable) && parent.commandLine === info.commandLine;
  }

  /** Rereads the program of every young process: an exec is a new ProcessCreate; a held one is released. */
  private async watchYoung(now: number, events: CollectedEvent[], yieldEvery: number): Promise<void> {
    const window = this.o.youngMs ?? 1000;
    let read = 0;
    for (const pid of this.young) {
      if (++read % yieldEvery === 0) await yieldToEventLoop();
      const t = this.known.get(pid);
      if (t?.info === undefined) {
        this.young.delete(pid);
        continue;
      }
      if (this.execed(t, now, events)) continue;
      if (now - t.seenAt < window) continue;
      this.young.delete(pid);
      if (t.pending) {
        t.pending = false;
        events.push(processCreateEvent(t.info, t.seenAt));
      }
    }
  }

  /** After quiet() said true: no task started or ended, but a known one may have exec'd without a fork. */
  quietSweep(): CollectedEvent[] {
    const events: CollectedEvent[] = [];
    this.sweep(this.o.clock.now(), events, this.o.sweepPerQuietTick ?? 2);
    return events;
  }

  /** A few known processes per listing, round robin: their exe link tells of an exec long after the start. */
  private sweep(now: number, events: CollectedEvent[], budget = this.o.sweepPerPoll ?? 16): void {
    if (budget <= 0) return;
    if (this.sweepQueue.length === 0) this.sweepQueue = [...this.known.keys()];
    while (budget-- > 0) {
      const pid = this.sweepQueue.pop();
      if (pid === undefined) return;
      const t = this.known.get(pid);
      if (t?.info !== undefined && !this.young.has(pid)) this.execed(t, now, events, true);
    }
  }

  /**
   * True when the process now runs another program than recorded (an exec, with or without a fork):
   * the record is reread and a ProcessCreate emitted for the new program.
   */
  private execed(t: Tracked, now: number, events: CollectedEvent[], exeOnly = false): boolean {
    const info = t.info;
    if (info === undefined) return false;
    const { reader } = this.o;
    const program = exeOnly ? { exe: reader.readExe(t.pid), cmdline: '' } : reader.readProgram(t.pid);
    if (program === undefined) return false;
    const exeMoved = program.exe !== undefined && !sameExe(program.exe, info.executable);
    const argvMoved = program.cmdline !== '' && program.cmdline !== info.commandLine;
    // Only a process that still ran its parent's program may change argv alone without it being setproctitle().
    if (!exeMoved && !(argvMoved && (t.pending === true || program.exe === undefined))) return false;
    const outcome = reader.read(t.pid);
    if (outcome.kind !== 'process' || outcome.info.startTime !== t.startTime) return false;
    const userName = this.o.passwd.lookup(outcome.info.uid);
    const wasPending = t.pending === true;
    t.info = userName === undefined ? outcome.info : { ...outcome.info, userName };
    this.young.add(t.pid);
    // Caught inside this very execve: hold on until argv is there.
    t.pending = this.midExec(t.info);
    if (!t.pending) events.push(processCreateEvent(t.info, wasPending ? t.seenAt : now));
    return true;
  }

  /**
   * Synchronous and cheap (one read of /proc/loadavg): true when no task can have started or ended
   * since the last listing, so there is nothing to diff. A task start always moves the last pid (the
   * pid is taken from every ancestor namespace's counter too); with no start, the task count only
   * drops, so equal counters mean no exit either. The count is system-wide: in a child pid namespace
   * an exit here can be masked by a start elsewhere, hence the periodic listing (maxQuietPolls).
   */
  quiet(): boolean {
    if (this.o.reuseCheck !== 'last-pid' || this.young.size > 0) return false;
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
  private async recheck(listed: readonly number[], lastPid: number | undefined): Promise<Map<number, number | undefined>> {
    const rechecked = new Map<number, number | undefined>();
    const { reader } = this.o;
    const from = this.previousLastPid;
    let read = 0;
    for (const pid of listed) {
      const old = this.known.get(pid);
      if (old === undefined) continue;
      // A stat or a stat line per known process: a few hundred of them between event-loop turns.
      if (++read % 256 === 0) await yieldToEventLoop();
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

  private track(pid: number, seenAt: number): Tracked | undefined {
    // Inode first: if the pid is reused right after, the next poll sees a different inode.
    const ino = this.o.reuseCheck === 'inode' ? this.o.reader.dirIno(pid) : undefined;
    const outcome = this.o.reader.read(pid);
    if (outcome.kind === 'gone') return undefined;
    const base: Tracked = { pid, startTime: outcome.kind === 'process' ? outcome.info.startTime : outcome.startTime, seenAt };
    if (ino !== undefined) base.ino = ino;
    if (outcome.kind === 'kernel-thread') return base;
    const { info } = outcome;
    // The agent's own children, and theirs (a helper's shell pipeline), are its work, not device activity.
    const spawned = this.o.spawned;
    if (spawned?.has(pid) || spawned?.has(info.ppid) || this.known.get(info.ppid)?.own === true) return { ...base, own: true };
    const userName = this.o.passwd.lookup(info.uid);
    return { ...base, info: userName === undefined ? info : { ...info, userName } };
  }
}
