/** The Process collector: timers, modes, status and once-only problem logging around ProcessPoller. */
import { join } from 'node:path';
import type { Cancel } from '../../src/clock.js';
import type { Collector, CollectorOptions, CollectorStatus, EventSink } from '../types.js';
import { createNodeHostFs, errorCode, type HostFs } from './host-fs.js';
import { PasswdCache } from './passwd.js';
import { ProcessPoller } from './process-poller.js';
import { ProcReader } from './proc-reader.js';
import { planProcessCollection, type ProcessPlan } from './settings.js';

export interface ProcessCollectorDeps {
  readonly fs?: HostFs;
  /** Our pid as /proc/self shows it; decides whether /proc/loadavg can guide reuse checks. */
  readonly ownPid?: number;
}

export class ProcessCollector implements Collector {
  readonly name = 'Process';
  readonly plan: ProcessPlan;
  private readonly fs: HostFs;
  private state: CollectorStatus['state'] = 'stopped';
  private cancelTimer: Cancel | undefined;
  private inFlight: Promise<void> | undefined;
  private poller: ProcessPoller | undefined;
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
    if (this.poller) return;
    this.out = out;
    const onProblem = (what: string, path: string, err: unknown): void => this.problem(what, path, err);
    const reader = new ProcReader(this.options.hostRoot, this.fs, onProblem);
    const sameNs = reader.isOwnPidNamespace(this.deps.ownPid ?? process.pid);
    this.poller = new ProcessPoller({
      reader,
      passwd: new PasswdCache(join(this.options.hostRoot, 'etc', 'passwd'), this.fs, onProblem),
      clock: this.options.clock,
      reuseCheck: sameNs ? 'last-pid' : 'inode',
      // Whatever /proc/loadavg says, list /proc at least once a second.
      maxQuietPolls: Math.max(0, Math.ceil(1000 / this.plan.intervalMs) - 1),
      // Two polls at least, so a slow interval still rereads a young process once.
      youngMs: Math.max(1000, 2 * this.plan.intervalMs),
      ...(this.options.spawned ? { spawned: this.options.spawned } : {}),
    });
    this.state = this.plan.degraded ? 'degraded' : 'running';
    this.options.log.info({ detail: this.plan.detail, reuseCheck: sameNs ? 'last-pid' : 'inode' }, 'process collector started');
    // Baseline: processes already running at start are recorded, not reported.
    await this.runPoll();
    if (!this.poller) return;
    this.cancelTimer = this.options.clock.setInterval(() => this.tick(), this.plan.intervalMs);
  }

  async stop(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.poller = undefined;
    await this.inFlight;
    this.state = 'stopped';
  }

  status(): CollectorStatus {
    if (this.state === 'stopped') return { state: 'stopped' };
    if (this.listError !== undefined) return { state: 'failed', detail: this.listError };
    const extra = [...this.limitations].join('; ');
    return { state: this.state, detail: extra === '' ? this.plan.detail : `${this.plan.detail}; ${extra}` };
  }

  private tick(): void {
    if (this.inFlight) {
      this.skippedTicks++;
      return;
    }
    // Most ticks end here, synchronously: no promise or closure for a tick with nothing new.
    if (this.poller?.quiet() === true) return;
    void this.runPoll();
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
