/** An EventSink that keeps what a collector emits, for assertions. */
import type { EventSink } from '../../collectors/types.js';
import type { CollectedEvent } from '../../src/events/event.js';

export class RecordingSink implements EventSink {
  readonly events: CollectedEvent[] = [];
  readonly errors: string[] = [];
  emit(event: CollectedEvent): void {
    this.events.push(event);
  }
  error(problem: Error | string): void {
    this.errors.push(typeof problem === 'string' ? problem : problem.message);
  }
  named(name: string): CollectedEvent[] {
    return this.events.filter((e) => e.name === name);
  }
  /** What was emitted since the last take(). */
  take(): CollectedEvent[] {
    return this.events.splice(0);
  }
}
