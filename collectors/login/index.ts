/** The Login collector: wtmp/btmp, sshd's log or journal (or the PAM hook's log) to `Login` events. */
import { errorMessage } from '../../src/errors.js';
import { PollSchedule } from '../poll-schedule.js';
import type { Collector, CollectorFactory, CollectorOptions, CollectorStatus, EventSink } from '../types.js';
import type { FileMark } from './incremental-file.js';
import { JournalFollower } from './journal-follower.js';
import { LoginMerger } from './login-merge.js';
import { PasswdUsers, passwdPath, toLoginEvent } from './login-event.js';
import { FileSource, type LoginSourceOverrides, planSources } from './login-sources.js';
import { type LoginState, loadState, saveState } from './login-state.js';
import { type LoginObservation, hasPossibleTime } from './observation.js';

export type { LoginSourceOverrides } from './login-sources.js';
export { snapshotLogins } from './snapshot.js';

export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** The silent first pass over wtmp history reads at most this many chunks (4 MiB each). */
const MAX_HISTORY_CHUNKS = 16;
/** With the change gate, a poll at least this often even when no file changed (a change the gate could not see). */
export const GATED_SAFETY_MS = 60_000;

class LoginCollector implements Collector {
  readonly name = 'Login';
  private out: EventSink | undefined;
  private sources: FileSource[] = [];
  private marks: Record<string, FileMark> = {};
  private readonly merger = new LoginMerger();
  private readonly users: PasswdUsers;
  private journal: JournalFollower | undefined;
  private schedule: PollSchedule | undefined;
  private ticking: Promise<void> | undefined;
  private lastSaved = '';
  /** Offsets and journal cursor of the last save: the sessions change only when the wtmp offset moves. */
  private lastSavedAt = '';
  private readonly reported = new Set<string>();
  private state: CollectorStatus = { state: 'stopped' };
  /** Records whose time no date can hold: skipped, reported once, counted in the status. */
  private impossibleTimes = 0;

  constructor(private readonly options: CollectorOptions, private readonly overrides: LoginSourceOverrides) {
    this.users = new PasswdUsers(options.hostRoot);
  }

  async start(out: EventSink): Promise<void> {
    if (this.out !== undefined) return;
    this.out = out;
    const { log, stateDir, hostRoot, clock, settings } = this.options;
    const loaded = await loadState(stateDir);
    if (loaded.problem !== undefined) this.problem(loaded.problem);
    const usePam = settings['Login_UsePAM'] === true;
    const plan = planSources(hostRoot, usePam, this.overrides);
    this.sources = plan.files.map((f) => new FileSource(f.path, f.kind));
    this.marks = { ...loaded.state?.files };
    for (const [line, session] of Object.entries(loaded.state?.sessions ?? {})) this.wtmp()?.utmp?.sessions.set(line, session);
    if (loaded.state === undefined) await this.startAtEnd();
    await this.users.refresh();
    const mode = usePam ? 'PAM hook log' : plan.useJournal ? 'wtmp/btmp + journal' : 'wtmp/btmp + sshd log file';
    this.state = { state: 'running', detail: mode };
    if (plan.useJournal) {
      this.journal = new JournalFollower({
        command: this.overrides.journalctl ?? 'journalctl',
        hostRoot,
        clock,
        cursor: loaded.state?.journalCursor,
        ...(this.options.spawned ? { spawned: this.options.spawned } : {}),
        onObservation: (obs) => {
          this.accept([obs]);
          this.followUp();
        },
        onProblem: (p) => {
          this.state = { state: 'degraded', detail: `${mode}: ${p}` };
          this.problem(p);
        },
      });
      this.journal.start();
    }
    await this.save();
    log.debug({ mode, files: plan.files.map((f) => f.path) }, 'login collector started');
    this.schedule = new PollSchedule({
      clock, gate: this.options.changeGate, intervalMs: this.overrides.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      poll: () => this.tick(),
      onError: (err: unknown) => this.problem(`login poll failed: ${errorMessage(err)}`),
    });
    // Stat changes of every file a poll reads wake it (appended, rotated, replaced, created or removed).
    const watched = [passwdPath(hostRoot), ...this.sources.map((s) => s.path)];
    this.schedule.useGate(watched.map((path) => ({ path, kind: 'stat' })), GATED_SAFETY_MS);
    this.followUp();
  }

  /**
   * Gated: what no file change announces gets its own poll: an observation held for its merge partner leaves when
   * its window ends, and a poll that moved a read mark looks again (a backlog read in 4 MiB steps, a rotated file).
   */
  private followUp(moved = false): void {
    const schedule = this.schedule;
    if (schedule === undefined) return;
    const interval = this.overrides.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (moved) schedule.followUp(interval);
    const due = this.merger.nextDueAt();
    if (due !== undefined) schedule.followUp(Math.max(0, due - this.options.clock.now()));
  }

  /**
   * First run on a device: report only what happens from now on, because years of wtmp history
   * would arrive as a flood of stale alerts (`collect login --once` shows history on demand).
   * wtmp history is still read silently, to know who is logged in when their logout comes.
   */
  private async startAtEnd(): Promise<void> {
    const now = this.options.clock.now();
    for (const src of this.sources) {
      try {
        if (src.kind === 'wtmp') {
          let mark: FileMark | undefined;
          for (let i = 0; i < MAX_HISTORY_CHUNKS; i++) {
            mark = (await src.poll(mark, false, now, false)).mark;
            if (mark === undefined || mark.offset >= mark.size - (mark.size % 384)) break;
          }
        }
        const { mark } = await src.poll(undefined, true, now);
        if (mark !== undefined) this.marks[src.path] = mark;
      } catch (err) {
        this.problem(`${src.path}: ${(err as Error).message}`);
      }
    }
  }

  private wtmp(): FileSource | undefined {
    return this.sources.find((s) => s.kind === 'wtmp');
  }

  private tick(): Promise<void> {
    this.ticking ??= this.pollOnce().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async pollOnce(): Promise<void> {
    const now = this.options.clock.now();
    let moved = false;
    await this.users.refresh();
    for (const src of this.sources) {
      try {
        const r = await src.poll(this.marks[src.path], false, now);
        const old = this.marks[src.path];
        if (r.mark !== undefined && (r.mark.offset !== old?.offset || r.mark.inode !== old.inode)) moved = true;
        if (r.mark !== undefined) this.marks[src.path] = r.mark;
        for (const w of r.warnings) this.warn(w);
        this.accept(r.observations);
      } catch (err) {
        // typically EACCES on btmp when not root: once, then keep polling the other files
        this.problem(`${src.path}: ${(err as Error).message}`);
      }
    }
    this.emit(this.merger.flush(this.options.clock.now()));
    this.followUp(moved);
    await this.save().catch((err: unknown) => this.problem(`saving login offsets: ${(err as Error).message}`));
  }

  /** The one way in for every source; never throws (the journal calls it from a stream handler). */
  private accept(observations: LoginObservation[]): void {
    const now = this.options.clock.now();
    for (const obs of observations) {
      if (hasPossibleTime(obs)) this.emit(this.merger.add(obs, now));
      else this.skipImpossibleTime(obs);
    }
  }

  private skipImpossibleTime(obs: LoginObservation): void {
    this.impossibleTimes++;
    if (this.impossibleTimes > 1) return;
    this.problem(`skipped a login record from ${obs.sources.join('+')} with an impossible time; later ones are counted in the collector status`);
  }

  /** One failing event (a sink that throws) costs that event, not the rest of the batch. */
  private emit(observations: LoginObservation[]): void {
    for (const obs of observations) {
      try {
        this.out?.emit(toLoginEvent(obs, this.users.lookup));
      } catch (err) {
        this.problem(`dropped a login event: ${errorMessage(err)}`);
      }
    }
  }

  private warn(message: string): void {
    this.options.log.warn(message);
    this.tell(message);
  }

  private problem(message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    this.options.log.warn(message);
    this.tell(message);
  }

  /** Problems are reported from stream handlers and catch blocks: a sink that throws must not escape from there. */
  private tell(message: string): void {
    try {
      this.out?.error(message);
    } catch (err) {
      this.options.log.warn({ reason: errorMessage(err) }, 'the sink refused a login collector problem');
    }
  }

  private async save(): Promise<void> {
    // Each poll: building the whole state (every open session) to find it unchanged cost most of an idle poll.
    const at = `${JSON.stringify(this.marks)} ${this.journal?.cursor ?? ''}`;
    if (at === this.lastSavedAt) return;
    const sessions = Object.fromEntries(this.wtmp()?.utmp?.sessions ?? []);
    const cursor = this.journal?.cursor;
    const state: LoginState = { files: this.marks, sessions, ...(cursor === undefined ? {} : { journalCursor: cursor }) };
    const text = JSON.stringify(state);
    if (text !== this.lastSaved) {
      await saveState(this.options.stateDir, state);
      this.lastSaved = text;
    }
    this.lastSavedAt = at;
  }

  /** Polls once more, lets every held observation leave, saves the offsets. */
  async stop(): Promise<void> {
    this.schedule?.stop();
    this.schedule = undefined;
    this.journal?.stop();
    if (this.out === undefined || this.state.state === 'stopped') return;
    await this.ticking?.catch(() => undefined);
    await this.tick().catch((err: unknown) => this.problem(`login poll failed: ${errorMessage(err)}`));
    this.emit(this.merger.flush(this.options.clock.now(), true));
    await this.save().catch(() => undefined);
    this.state = { state: 'stopped' };
  }

  status(): CollectorStatus {
    if (this.impossibleTimes === 0 || this.state.state === 'stopped') return this.state;
    const skipped = `${this.impossibleTimes} ${this.impossibleTimes === 1 ? 'record' : 'records'} with an impossible time skipped`;
    return { state: this.state.state, detail: this.state.detail === undefined ? skipped : `${this.state.detail}; ${skipped}` };
  }
}

/** A factory with test or packaging overrides (paths, journalctl binary, poll interval). */
export function loginCollectorFactory(overrides: LoginSourceOverrides = {}): CollectorFactory {
  return (options) => new LoginCollector(options, overrides);
}

export const createLoginCollector: CollectorFactory = loginCollectorFactory();
