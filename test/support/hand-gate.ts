/** A change gate the test fires by hand; it records what is watched and what was cancelled. */
import type { ChangeGate, GatedFile } from '../../collectors/change-gate.js';

export interface HandWatch {
  readonly files: readonly GatedFile[];
  readonly intervalMs: number;
  live: boolean;
  /** What the gate's thread does when a file changed (nothing once cancelled). */
  fire(): void;
}

export class HandGate implements ChangeGate {
  readonly watches: HandWatch[] = [];

  watch(files: readonly GatedFile[], intervalMs: number, onChange: () => void): () => void {
    const w: HandWatch = {
      files, intervalMs, live: true,
      fire: () => {
        if (w.live) onChange();
      },
    };
    this.watches.push(w);
    return () => {
      w.live = false;
    };
  }

  /** The watches not cancelled. */
  get live(): HandWatch[] {
    return this.watches.filter((w) => w.live);
  }
}
