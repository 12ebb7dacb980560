/**
 * The change gate: a thread of the cn-proc addon rereads a few small files every interval and wakes a collector
 * only when one changed, so on an idle device the event loop sleeps. Each wake-up of Node costs far more than
 * the reads themselves (measured in the README's performance section). Without the addon collectors keep their timers.
 */
import { systemClock, type Clock } from '../src/clock.js';
import { loadCnProc } from './process/cn-proc-addon.js';

export interface GatedFile {
  readonly path: string;
  /**
   * `content`: its bytes, after `skipFields` space-separated fields (3 for /proc/loadavg, whose load averages
   * move every 5 s); `stat`: device, inode, size and times (a log appended to, rotated or replaced); `listing`: a
   * directory's entry names (a device attached).
   */
  readonly kind: 'content' | 'stat' | 'listing';
  readonly skipFields?: number;
}

export interface ChangeGate {
  /**
   * Checks `files` every `intervalMs` off the event loop and calls `onChange` (on the loop, never more than one
   * call in flight) when one differs from the check before. The first check is taken now. Returns the cancel:
   * once it returns, no call comes.
   */
  watch(files: readonly GatedFile[], intervalMs: number, onChange: () => void): () => void;
}

const GATE_KINDS = { content: 0, stat: 1, listing: 2 } as const;

/** The addon's gate, or undefined where the addon does not load or predates it (an older prebuilt binary). */
export function loadChangeGate(): ChangeGate | undefined {
  const load = loadCnProc();
  if (!('addon' in load)) return undefined;
  const { watchFiles, unwatch } = load.addon;
  if (typeof watchFiles !== 'function' || typeof unwatch !== 'function') return undefined;
  return {
    watch(files, intervalMs, onChange) {
      let live = true;
      const handle = watchFiles(
        files.map((f) => f.path),
        files.map((f) => GATE_KINDS[f.kind]),
        files.map((f) => f.skipFields ?? 0),
        Math.max(1, Math.round(intervalMs)),
        () => {
          if (live) onChange();
        },
      );
      return () => {
        if (!live) return;
        live = false;
        unwatch(handle);
      };
    },
  };
}

/** The collector option for an agent on `clock`: the gate only on real time (its thread knows no fake clock), if it loads. */
export function changeGateFor(clock: Clock): { changeGate?: ChangeGate } {
  const gate = clock === systemClock ? loadChangeGate() : undefined;
  return gate ? { changeGate: gate } : {};
}
