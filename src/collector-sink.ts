/**
 * The sink each collector emits into: checks every event (the event model, then the custom collector's declared
 * schema) before it goes on, refuses and counts an invalid one (logged once per collector run), and counts the rest.
 */
import type { Logger } from 'pino';
import type { EventSink } from '../collectors/types.js';
import type { CollectedEvent } from './events/event.js';
import { collectedEventProblem } from './events/collected-event-check.js';
import type { CustomEventCheck } from './events/custom-event-schema.js';
import { errorMessage } from './errors.js';

/** What a collector's events did since the agent started. */
export interface EmitCounters {
  /** Events accepted and handed to the pipeline. */
  readonly emitted: number;
  /** Events refused at emit as invalid (never queued or sent). */
  readonly refused: number;
  /** Why the last refused one was refused. */
  readonly lastRefusal?: string;
}

export interface SinkOptions {
  /** Where accepted events go; a throw is logged, not passed to the collector. */
  onEvent: (collector: string, event: CollectedEvent) => void;
  /** Per collector: the check of a custom collector's declared event. */
  eventChecks?: Readonly<Record<string, CustomEventCheck>> | undefined;
  /** A problem worth telling the host program about (a collector error, the first refused event of a run). */
  onProblem?: ((collector: string, message: string) => void) | undefined;
}

/** What the collector host knows of one collector run. */
export interface SinkRun {
  /** False once the run is over (stopped, restarted, a collect() past its deadline): later emits are ignored. */
  accepts(): boolean;
  /** True the first time in this run, so an invalid event is logged once per run. */
  firstRefusal(): boolean;
  /** The collector reported a problem (shown in the reported state). */
  setError(text: string): void;
}

export class CollectorSinks {
  private readonly counts = new Map<string, { emitted: number; refused: number; lastRefusal?: string }>();

  constructor(private readonly opts: SinkOptions) {}

  counters(name: string): EmitCounters {
    return { ...(this.counts.get(name) ?? { emitted: 0, refused: 0 }) };
  }

  make(name: string, run: SinkRun, log: Logger): EventSink {
    const seen = new Set<string>();
    const once = (text: string, line: string, level: 'warn' | 'error' = 'warn'): void => {
      // Logged once per distinct problem, so a broken source does not flood the journal.
      if (seen.has(text) || seen.size > 100) return;
      seen.add(text);
      log[level]({ reason: text }, line);
      this.opts.onProblem?.(name, text);
    };
    const counts = (): { emitted: number; refused: number; lastRefusal?: string } => {
      let c = this.counts.get(name);
      if (c === undefined) this.counts.set(name, (c = { emitted: 0, refused: 0 }));
      return c;
    };
    return {
      emit: (event) => {
        if (!run.accepts()) return;
        const problem = collectedEventProblem(event) ?? this.opts.eventChecks?.[name]?.(event);
        if (problem !== undefined) {
          const c = counts();
          c.refused++;
          c.lastRefusal = problem.slice(0, 160);
          // Once per collector run: the values that make events invalid can differ in every one.
          if (run.firstRefusal()) {
            log.warn({ reason: c.lastRefusal }, 'invalid event refused; later ones are only counted');
            this.opts.onProblem?.(name, `invalid event refused: ${c.lastRefusal}`);
          }
          return;
        }
        try {
          this.opts.onEvent(name, event);
          counts().emitted++;
        } catch (err) {
          once(errorMessage(err), 'event could not be queued', 'error');
        }
      },
      error: (problem) => {
        const text = (typeof problem === 'string' ? problem : problem.message).slice(0, 300);
        run.setError(text);
        once(text, 'collector problem');
      },
    };
  }
}
