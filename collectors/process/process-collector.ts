/** The Process collector: mode choice (Netlink by evidence, else polling), timers, status and once-only problem logging. */
import { join } from 'node:path';
import { errorMessage } from '../../src/errors.js';
import { PollSchedule } from '../poll-schedule.js';
import type { Collector, CollectorOptions, CollectorStatus, EventSink } from '../types.js';
import { createNodeHostFs, errorCode, type HostFs } from './host-fs.js';
import { PasswdCache } from './passwd.js';
import { ProcessPoller } from './process-poller.js';
import { kernelHasEventFilter, loadCnProc } from './cn-proc-addon.js';
import { NetlinkWatcher } from './netlink-watcher.js';
import { ProcReader } from './proc-reader.js';
import { planProcessCollection, type ProcessPlan } from './settings.js';

/** Gated polling: the tick that sweeps exe links and keeps the minute's listing when the gate stays silent. */
const SAFETY_TICK_MS = 1000;

export interface ProcessCollectorDeps {
  readonly fs?: HostFs;
  /** Our pid as /proc/self shows it; decides whether /proc/loadavg can guide reuse checks. */
  readonly ownPid?: number;
  /** How long Auto and Netlink mode wait for the self-test's exec event (default 1000 ms). */
  readonly selfTestMs?: number;
}

export class ProcessCollector implements Collector {
  readonly name = 'Process';
  readonly plan: ProcessPlan;
  private readonly fs: HostFs;
  private state: CollectorStatus['state'] = 'stopped';
  /** Polling mode's ticks: every interval, or woken by the change gate. */
  private schedule: PollSchedule | undefined;
  private inFlight: Promise<void> | undefined;
  private poller: ProcessPoller | undefined;
  private netlink: NetlinkWatcher | undefined;
  /** One line: which mode runs and why. */
  private modeDetail = '';
  /** Process_Mode 2 and the process connector cannot work: the reason. */
  private netlinkFailure: string | undefined;
  /** Bumped by stop(): a start still awaiting its self-test then lets go of what it opened. */
  private generation = 0;
  private out: EventSink | undefined;
  private readonly reported = new Set<string>();
  private readonly limitations = new Set<string>();
  private listError: string | undefined;
  /** Ticks that found the previous poll still running (a slow host, not an error). */
  skippedTicks = 0;

  constructor(
    private readonly options: CollectorOptions,
    private readonly deps: ProcessCollectorDeps = {},
  ) {
    this.plan = planProcessCollection(options.settings);
    this.fs = deps.fs ?? createNodeHostFs();
  }

  async start(out: EventSink): Promise<void> {
    if (this.poller || this.netlink) return;
    this.out = out;
    const onProblem = (what: string, path: string, err: unknown): void => this.problem(what, path, err);
    const reader = new ProcReader(this.options.hostRoot, this.fs, onProblem);
    const passwd = new PasswdCache(join(this.options.hostRoot, 'etc', 'passwd'), this.fs, onProblem);
    const polling = `polling every ${this.plan.intervalMs} ms`;
    if (this.plan.requestedMode !== 'Polling') {
      const refused = await this.startNetlink(reader, passwd);
      if (refused === undefined) return;
      if (this.plan.requestedMode === 'Netlink') {
        this.netlinkFailure = `Process_Mode 2 Netlink requested but ${refused}`;
        this.state = 'failed';
        this.options.log.error({ reason: refused }, 'process collector: Netlink mode cannot work');
        out.error(this.netlinkFailure);
        return;
      }
      this.modeDetail = `${polling} (Process_Mode 1 Auto: ${refused})`;
    } else {
      this.modeDetail = polling;
    }
    const sameNs = reader.isOwnPidNamespace(this.deps.ownPid ?? process.pid);
    // In the initial pid namespace unchanged loadavg counters prove that nothing started or ended: the listing
    // is a safety net. In a child namespace the task count is the host's, so a listing a second is the check.
    const listEveryMs = sameNs && reader.isInitialPidNamespace() ? 60_000 : 1000;
    this.schedule = new PollSchedule({
      clock: this.options.clock, gate: this.options.changeGate, intervalMs: this.plan.intervalMs,
      poll: () => this.scheduledTick(),
      onError: (err) => this.options.log.warn({ reason: errorMessage(err) }, 'process collector: change gate refused, or a tick failed; polling goes on'),
    });
    // Gated (own pid namespace: the last pid describes it), the event loop sleeps while the host is idle: the gate
    // rereads /proc/loadavg every interval and wakes a tick when a task started or ended; ticks then follow every
    // interval until quiet again (a young process is watched for its exec). A tick a second sweeps exe links (an exec
    // without a fork moves no counter) and keeps the minute's listing.
    if (sameNs && this.plan.intervalMs < SAFETY_TICK_MS) {
      this.schedule.useGate([{ path: reader.loadavgPath, kind: 'content', skipFields: 3 }], SAFETY_TICK_MS);
    }
    const gated = this.schedule.gated;
    if (gated) this.modeDetail += ', woken by /proc/loadavg changes';
    // Gated, quiet ticks come once a second (the gate's thread does the 100 ms loadavg reads): the same sweep rate.
    const tickMs = gated ? SAFETY_TICK_MS : this.plan.intervalMs;
    this.poller = new ProcessPoller({
      reader,
      passwd,
      clock: this.options.clock,
      reuseCheck: sameNs ? 'last-pid' : 'inode',
      maxQuietPolls: Math.max(0, Math.ceil(listEveryMs / tickMs) - 1),
      sweepPerQuietTick: 2 * Math.max(1, Math.round(tickMs / this.plan.intervalMs)),
      // Two polls at least, so a slow interval still rereads a young process once.
      youngMs: Math.max(1000, 2 * this.plan.intervalMs),
      ...(this.options.spawned ? { spawned: this.options.spawned } : {}),
    });
    this.state = 'running';
    this.options.log.info({ detail: this.modeDetail, reuseCheck: sameNs ? 'last-pid' : 'inode' }, 'process collector started');
    // Baseline: processes already running at start are recorded, not reported.
    await this.runPoll();
    if (!gated) this.schedule?.useInterval();
  }

  /** A tick from the schedule; one that found something looks again an interval later (gated; else the interval does). */
  private async scheduledTick(): Promise<void> {
    if (this.tick()) return;
    await this.inFlight;
    this.schedule?.followUp(this.plan.intervalMs);
  }

  /** Netlink mode if the process connector works here; else the reason it does not. */
  private async startNetlink(reader: ProcReader, passwd: PasswdCache): Promise<string | undefined> {
    // Event pids are this kernel's (our pid namespace's): they name nothing in a foreign /proc.
    if (!reader.isOwnPidNamespace(process.pid)) return `${reader.procDir} is not this process's pid namespace`;
    const load = loadCnProc();
    if ('reason' in load) return load.reason;
    const filtered = kernelHasEventFilter();
    const watcher = new NetlinkWatcher({
      addon: load.addon, filtered, reader, passwd, clock: this.options.clock,
      ...(this.options.spawned ? { spawned: this.options.spawned } : {}),
      emit: (events) => {
        for (const e of events) this.out?.emit(e);
      },
    });
    try {
      await watcher.start();
    } catch (err) {
      const code = errorCode(err);
      const why = code === 'EPERM' || code === 'EACCES' ? ' (before Linux 6.6 the process connector needs root or CAP_NET_ADMIN)' : '';
      return `process connector refused: ${err instanceof Error ? err.message : String(err)}${why}`;
    }
    const ms = this.deps.selfTestMs ?? 1000;
    const generation = this.generation;
    const works = await watcher.selfTest(ms);
    if (generation !== this.generation) {
      watcher.stop();
      return undefined;
    }
    if (!works) {
      watcher.stop();
      return `process connector subscription silently ignored: no exec event for a test process within ${ms} ms (a container's user or pid namespace?)`;
    }
    this.netlink = watcher;
    this.state = 'running';
    this.modeDetail = `netlink: kernel process connector${filtered ? ', fork/exec/exit filter' : ''}, receive buffer ${watcher.receiveBufferBytes} bytes`;
    this.options.log.info({ detail: this.modeDetail }, 'process collector started');
    return undefined;
  }

  async stop(): Promise<void> {
    this.generation++;
    this.schedule?.stop();
    this.schedule = undefined;
    this.poller = undefined;
    this.netlink?.stop();
    this.netlink = undefined;
    this.netlinkFailure = undefined;
    await this.inFlight;
    this.state = 'stopped';
  }

  status(): CollectorStatus {
    if (this.state === 'stopped') return { state: 'stopped' };
    if (this.netlinkFailure !== undefined) return { state: 'failed', detail: this.netlinkFailure };
    if (this.listError !== undefined) return { state: 'failed', detail: this.listError };
    const notes = [...this.limitations];
    const lost = this.netlink?.overflows ?? 0;
    if (lost > 0) notes.unshift(`${lost} receive-buffer overflow(s): events lost, /proc rescanned`);
    const extra = notes.join('; ');
    return { state: this.state, detail: extra === '' ? this.modeDetail : `${this.modeDetail}; ${extra}` };
  }

  /** Receive-buffer overflows in Netlink mode (each lost an unknown number of events). */
  get overflows(): number {
    return this.netlink?.overflows ?? 0;
  }

  sourceOverflows(): number {
    return this.overflows;
  }

  /** True when quiet: nothing started or ended since the last listing, and no young process to watch. */
  private tick(): boolean {
    if (this.inFlight) {
      this.skippedTicks++;
      return false;
    }
    // Most ticks end here, synchronously: no promise or closure for a tick with nothing new.
    if (this.poller?.quiet() === true) {
      for (const e of this.poller.quietSweep()) this.out?.emit(e);
      return true;
    }
    void this.runPoll();
    return false;
  }

  private runPoll(): Promise<void> {
    const poller = this.poller;
    if (!poller) return Promise.resolve();
    const run = (async () => {
      try {
        const events = await poller.poll();
        this.listError = undefined;
        // stop() during the poll: its events are still true observations, so they go out.
        for (const e of events) this.out?.emit(e);
      } catch (err) {
        const detail = `cannot list ${join(this.options.hostRoot, 'proc')}: ${errorCode(err) ?? String(err)}`;
        if (this.listError !== detail) {
          this.options.log.error({ err }, detail);
          this.out?.error(detail);
        }
        this.listError = detail;
      }
    })();
    this.inFlight = run;
    return run.finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
  }

  /** Each kind of problem is logged once; permission gaps also show in status(). */
  private problem(what: string, path: string, err: unknown): void {
    const code = errorCode(err) ?? (err instanceof Error ? err.message : String(err));
    const kind = `${what}:${code}`;
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    const permission = code === 'EACCES' || code === 'EPERM';
    const effect = what === 'exe' ? 'Executable falls back to the command name' : what === 'cmdline' ? 'CommandLine falls back to [comm]' : 'affected processes are skipped';
    this.options.log.warn({ path, code }, `cannot read ${what} (${code}); ${effect}; logged once`);
    if (permission) this.limitations.add(`${what} unreadable (${code}): ${effect}`);
  }
}
