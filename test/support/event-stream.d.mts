/** Types of event-stream.mjs (plain JS so the child-process agent can load it without a TypeScript step). */
import type { CollectorFactory } from '../../collectors/types.js';

export interface ProducedCounts {
  /** Unique events (one per tick, never aggregated). */
  unique: number;
  /** Repeated events per CommandLine (aggregated by the pipeline). */
  repeated: Map<string, number>;
  /** Every event emitted. */
  total: number;
}

export interface EventStream {
  factory: CollectorFactory;
  pause(): void;
  produced(): ProducedCounts;
  stopAll(): void;
}

export function createEventStream(options: {
  prefix: string;
  ratePerSec: number;
  slots?: number;
  /** After each tick, with the totals so far (a child process reports them at once, so a SIGKILL loses none). */
  onTick?: (total: number, unique: number) => void;
}): EventStream;
