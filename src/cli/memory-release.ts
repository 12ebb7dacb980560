/**
 * The run command's memory hygiene: after a large message has left (the start-up inventory, a daily SBoM), a full
 * garbage collection a second later. Without it the buffers and strings of that one send stay resident until V8's
 * next major GC, which an idle agent may not need for hours. Only where node runs with `--expose-gc` (the launcher's
 * flags); a gateway embedding the agent keeps its own GC policy. Then the C heap's free pages go back to the system
 * (the addon's malloc_trim): the allocator otherwise keeps about 2 MB of them resident.
 */
import { loadCnProc } from '../../collectors/process/cn-proc-addon.js';
import type { MicroAgent } from '../agent.js';
import { systemClock, type Clock } from '../clock.js';

/** A message at least this large leaves garbage worth a collection (a Heartbeat is under 1 KB). */
export const LARGE_MESSAGE_BYTES = 64 * 1024;
/** At most one collection per this much time, whatever is sent. */
export const MIN_GAP_MS = 60_000;
const DELAY_MS = 1_000;

export function collectAfterLargeSends(
  agent: MicroAgent, gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc, clock: Clock = systemClock,
  trim: () => void = loadHeapTrim(),
): void {
  if (typeof gc !== 'function') return;
  let last = -Infinity;
  agent.on('message-sent', ({ bytes }) => {
    const now = clock.now();
    if (bytes < LARGE_MESSAGE_BYTES || now - last < MIN_GAP_MS) return;
    last = now;
    clock.setTimeout(() => {
      gc();
      trim();
    }, DELAY_MS);
  });
}

/** The addon's malloc_trim, or nothing where the addon does not load or predates it. */
function loadHeapTrim(): () => void {
  const load = loadCnProc();
  const trim = 'addon' in load ? load.addon.trimMemory : undefined;
  return typeof trim === 'function' ? () => void trim() : () => undefined;
}
