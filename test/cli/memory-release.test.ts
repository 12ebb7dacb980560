/** The run command's collection after a large send: only for large messages, at most once a minute, never without gc. */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { MicroAgent } from '../../src/agent.js';
import { LARGE_MESSAGE_BYTES, MIN_GAP_MS, collectAfterLargeSends } from '../../src/cli/memory-release.js';
import { FakeClock } from '../support/fake-clock.js';

function sent(agent: EventEmitter, bytes: number): void {
  agent.emit('message-sent', { bytes, queuedMs: 0, pending: 0 });
}

describe('a full GC after a large message left', () => {
  it('runs a second after a large message, not after small ones, and at most once a minute', async () => {
    const clock = new FakeClock();
    const agent = new EventEmitter();
    const gc = vi.fn();
    collectAfterLargeSends(agent as unknown as MicroAgent, gc, clock);
    sent(agent, 900);
    await clock.advance(5_000);
    expect(gc).not.toHaveBeenCalled();
    sent(agent, LARGE_MESSAGE_BYTES);
    expect(gc).not.toHaveBeenCalled();
    await clock.advance(1_000);
    expect(gc).toHaveBeenCalledTimes(1);
    sent(agent, 256 * 1024);
    await clock.advance(MIN_GAP_MS - 2_000);
    expect(gc).toHaveBeenCalledTimes(1);
    await clock.advance(2_000);
    sent(agent, 256 * 1024);
    await clock.advance(1_000);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it('adds no listener where node runs without --expose-gc (a gateway embedding the agent)', () => {
    const agent = new EventEmitter();
    collectAfterLargeSends(agent as unknown as MicroAgent, undefined);
    expect(agent.listenerCount('message-sent')).toBe(0);
  });
});
