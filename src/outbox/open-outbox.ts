/** Opens the disk outbox, or falls back to memory (with one warning) when the directory is unusable. */
import { DiskOutbox } from './disk-outbox.js';
import { MemoryOutbox } from './memory-outbox.js';
import type { Outbox, OutboxOptions } from './outbox.js';

export type { Outbox, OutboxMessage, OutboxMode, OutboxOptions, OutboxStats } from './outbox.js';

export async function openOutbox(opts: OutboxOptions): Promise<Outbox> {
  const { dir, log } = opts;
  if (dir === undefined) {
    log.warn('outbox: no state directory; messages are kept in memory and lost on restart');
    return new MemoryOutbox(opts);
  }
  try {
    return await DiskOutbox.open({ ...opts, dir });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    log.warn({ dir, code, err }, `outbox: ${dir} is not writable (${code}); messages are kept in memory and lost on restart`);
    return new MemoryOutbox(opts);
  }
}
