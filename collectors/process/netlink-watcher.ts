/**
 * Netlink mode: the kernel's process events (fork, exec, exit) through the cn-proc addon. ProcessCreate
 * on exec, read from /proc at once; ProcessTerminate on exit with the real exit status.
 */
import { spawn } from 'node:child_process';
import type { Clock, CollectedEvent, SpawnedChildren } from '../types.js';
import type { CnProcAddon, CnProcHandle } from './cn-proc-addon.js';
import type { PasswdCache } from './passwd.js';
import { parseCmdline } from './parse.js';
import { exitStatusOf, processCreateEvent, processTerminateEvent } from './process-events.js';
import type { ProcReader, ProcessInfo } from './proc-reader.js';

const KIND_FORK = 1;
const KIND_EXEC = 2;
const KIND_EXIT = 3;
const RECORD_INTS = 6;
/** 4 MiB holds ~30,000 events: an 8 s stall of the event loop under a storm (SO_RCVBUFFORCE needs CAP_NET_ADMIN). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
/** What a ProcessCreate carries when the process exited before /proc could be read: never dropped. */
export const UNAVAILABLE = '[unavailable: exited before it could be read]';
/**
 * Processes read from /proc in one turn of the event loop, by a scan or at kernel events: a few milliseconds of
 * synchronous reads (far more under a storm); the rest waits a turn, so the hub link and twin changes are served between.
 */
const READS_PER_TURN = 32;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Events waiting for their turn, at most: about what the kernel's receive buffer holds. */
const MAX_QUEUED_EVENTS = 30_000;

interface PendingBatch { readonly r: Int32Array; readonly argv: Buffer; readonly overflows: number; readonly at: number; next: number }

export interface NetlinkWatcherOptions {
  readonly addon: CnProcAddon;
  /** Linux 6.6+: ask the kernel for fork, exec and exit only. */
  readonly filtered: boolean;
  readonly reader: ProcReader;
  readonly passwd: PasswdCache;
  readonly clock: Clock;
  readonly spawned?: SpawnedChildren;
  readonly emit: (events: CollectedEvent[]) => void;
}

export class NetlinkWatcher {
  private handle: CnProcHandle | undefined;
  /** Parent of every process forked since start: right even after the parent has exited. */
  private readonly parents = new Map<number, number>();
  /** Processes reported (or there at start), for ProcessTerminate. */
  private readonly live = new Map<number, ProcessInfo>();
  /** The agent's own children and their descendants (the self-test's /bin/true too). */
  private readonly own = new Set<number>();
  private readonly execWaiters = new Map<number, () => void>();
  /** A rescan after an overflow in progress, and whether another overflow came meanwhile. */
  private rescanning = false;
  private rescanAgain = false;
  /** Kernel batches not yet handled, oldest first, and how many events they hold. */
  private readonly pending: PendingBatch[] = [];
  private queued = 0;
  private handling = false;
  private rescanDue = false;
  /** Receive-buffer overflows: each means events were lost and /proc was rescanned. */
  overflows = 0;
  /** Process events handled (fork, exec, exit of processes; threads are dropped in the addon). */
  events = 0;

  constructor(private readonly o: NetlinkWatcherOptions) {}

  /** Subscribes, then records what runs already (not reported, like polling's baseline). Rejects when refused. */
  async start(): Promise<void> {
    this.handle = this.o.addon.open((records, overflows, argv) => this.onBatch(records, overflows, argv), RECEIVE_BUFFER_BYTES, this.o.filtered);
    await this.scan(false);
  }

  stop(): void {
    if (this.handle !== undefined) this.o.addon.close(this.handle);
    this.handle = undefined;
    this.pending.length = 0;
    this.queued = 0;
    for (const resolve of this.execWaiters.values()) resolve();
    this.execWaiters.clear();
  }

  get receiveBufferBytes(): number {
    return this.handle === undefined ? 0 : this.o.addon.receiveBufferBytes(this.handle);
  }

  /**
   * Spawns /bin/true and waits for its exec event: a LISTEN from a container's user or pid namespace is
   * silently ignored by the kernel, and only this tells. Resolves false after `timeoutMs` without it.
   */
  selfTest(timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
      let child;
      try {
        child = spawn('/bin/true', { stdio: 'ignore' });
      } catch {
        resolve(false);
        return;
      }
      child.on('error', () => undefined);
      const pid = child.pid;
      if (pid === undefined) {
        resolve(false);
        return;
      }
      this.own.add(pid);
      this.o.spawned?.add(child);
      const cancel = this.o.clock.setTimeout(() => {
        this.execWaiters.delete(pid);
        resolve(false);
      }, timeoutMs);
      this.execWaiters.set(pid, () => {
        cancel();
        resolve(this.handle !== undefined);
      });
    });
  }

  /** Queues a batch from the kernel; it is handled at once unless earlier ones still wait for their turn. */
  private onBatch(records: Buffer, overflows: number, argv: Buffer): void {
    const r = new Int32Array(records.buffer, records.byteOffset, records.length >> 2);
    this.queued += r.length / RECORD_INTS;
    this.pending.push({ r, argv, overflows, at: this.o.clock.now(), next: 0 });
    // More than the kernel's buffer holds waits here: the oldest are lost as in a buffer overflow, counted, and rescanned.
    while (this.queued > MAX_QUEUED_EVENTS && this.pending.length > 1) {
      const lost = this.pending.shift() as PendingBatch;
      this.queued -= (lost.r.length - lost.next) / RECORD_INTS;
      this.overflows += 1 + lost.overflows;
      this.rescanDue = true;
    }
    if (!this.handling) this.handleQueued();
  }

  /** Handles queued events in order, at most READS_PER_TURN /proc reads per turn of the event loop. */
  private handleQueued(): void {
    this.handling = true;
    const out: CollectedEvent[] = [];
    let reads = 0;
    let passwdFresh = false;
    while (this.pending.length > 0 && reads < READS_PER_TURN) {
      const b = this.pending[0] as PendingBatch;
      const r = b.r;
      for (; b.next + RECORD_INTS <= r.length && reads < READS_PER_TURN; b.next += RECORD_INTS) {
        const i = b.next;
        const kind = r[i] as number;
        const pid = r[i + 1] as number;
        this.events++;
        this.queued--;
        if (kind === KIND_FORK) {
          const ppid = r[i + 2] as number;
          this.parents.set(pid, ppid);
          if (this.own.has(ppid) || this.o.spawned?.has(ppid) === true) this.own.add(pid);
        } else if (kind === KIND_EXEC) {
          this.execWaiters.get(pid)?.();
          this.execWaiters.delete(pid);
          if (this.own.has(pid) || this.o.spawned?.has(pid) === true) {
            this.own.add(pid);
            continue;
          }
          if (!passwdFresh) this.o.passwd.refresh();
          passwdFresh = true;
          reads++;
          const argvLength = r[i + 5] as number;
          const early = argvLength > 0 ? b.argv.subarray(r[i + 4] as number, (r[i + 4] as number) + argvLength) : undefined;
          const info = this.readNow(pid, early);
          if (info === undefined) continue;
          this.live.set(pid, info);
          out.push(processCreateEvent(info, b.at));
        } else if (kind === KIND_EXIT) {
          this.parents.delete(pid);
          if (this.own.delete(pid)) continue;
          const info = this.live.get(pid);
          this.live.delete(pid);
          // Never exec'd since start (a fork-only child): no ProcessCreate was sent, so no ProcessTerminate either.
          if (info !== undefined) out.push(processTerminateEvent(info, b.at, exitStatusOf(r[i + 2] as number)));
        }
      }
      if (b.next + RECORD_INTS > r.length) {
        this.pending.shift();
        if (b.overflows > 0) {
          this.overflows += b.overflows;
          this.rescanDue = true;
        }
      }
    }
    if (out.length > 0) this.o.emit(out);
    if (this.rescanDue && this.handle !== undefined) {
      this.rescanDue = false;
      this.rescan();
    }
    if (this.pending.length > 0 && this.handle !== undefined) setImmediate(() => this.handleQueued());
    else this.handling = false;
  }

  /** After lost events: /proc is scanned again in chunks, one scan at a time; what it finds is emitted at its end. */
  private rescan(): void {
    if (this.rescanning) {
      this.rescanAgain = true;
      return;
    }
    this.rescanning = true;
    void this.scan(true).then((events) => {
      if (events.length > 0 && this.handle !== undefined) this.o.emit(events);
    }).finally(() => {
      this.rescanning = false;
      if (this.rescanAgain && this.handle !== undefined) {
        this.rescanAgain = false;
        this.rescan();
      }
    });
  }

  /**
   * Read at once: a short process is gone within milliseconds. `early` is the argv the addon read as the
   * event arrived: the command line, whether or not /proc still has the process. Undefined for a kernel thread.
   */
  private readNow(pid: number, early: Buffer | undefined): ProcessInfo | undefined {
    const outcome = this.o.reader.read(pid, early);
    const ppid = this.parents.get(pid);
    if (outcome.kind === 'kernel-thread') return undefined;
    if (outcome.kind === 'gone') {
      const commandLine = early === undefined ? UNAVAILABLE : parseCmdline(early);
      return { pid, ppid: ppid ?? 0, startTime: 0, uid: -1, executable: UNAVAILABLE, commandLine: commandLine === '' ? UNAVAILABLE : commandLine, comm: '', state: 'X' };
    }
    const userName = this.o.passwd.lookup(outcome.info.uid);
    // The command line is the early argv when there is one (a zombie's /proc argv is already empty).
    const info = ppid === undefined ? outcome.info : { ...outcome.info, ppid };
    return userName === undefined ? info : { ...info, userName };
  }

  /**
   * /proc as it is now: at start, the baseline; after an overflow, what the lost events would have said,
   * as far as can still be seen (new processes as ProcessCreate, vanished ones with ExitStatus -1).
   */
  private async scan(report: boolean): Promise<CollectedEvent[]> {
    const out: CollectedEvent[] = [];
    const now = this.o.clock.now();
    let listed: number[];
    try {
      listed = this.o.reader.listPids();
    } catch {
      return out;
    }
    const present = new Set(listed);
    for (const [pid, info] of this.live) {
      if (present.has(pid)) continue;
      this.live.delete(pid);
      if (report) out.push(processTerminateEvent(info, now));
    }
    this.o.passwd.refresh();
    let read = 0;
    for (const pid of listed) {
      if (read > 0 && read % READS_PER_TURN === 0) {
        await nextTurn();
        if (this.handle === undefined) return out;
      }
      if (this.live.has(pid) || this.own.has(pid) || this.o.spawned?.has(pid) === true) continue;
      read++;
      const outcome = this.o.reader.read(pid);
      if (outcome.kind !== 'process') continue;
      // An exec event handled while this scan waited has recorded the process already.
      if (this.live.has(pid)) continue;
      if (this.o.spawned?.has(outcome.info.ppid) === true || this.own.has(outcome.info.ppid)) {
        this.own.add(pid);
        continue;
      }
      const userName = this.o.passwd.lookup(outcome.info.uid);
      const info = userName === undefined ? outcome.info : { ...outcome.info, userName };
      this.live.set(pid, info);
      if (report) out.push(processCreateEvent(info, now));
    }
    return out;
  }
}
