/** The run command's collection after a large send: only for large messages, at most once a minute, never without gc. */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MicroAgent } from '../../src/agent.js';
import { LARGE_MESSAGE_BYTES, MIN_GAP_MS, collectAfterLargeSends } from '../../src/cli/memory-release.js';

afterEach(() => {
  vi.useRealTimers();
});

function sent(agent: EventEmitter, bytes: number): void {
  agent.emit('message-sent', { bytes, queuedMs: 0, pending: 0 });
}

describe('a full GC after a large message left', () => {
  it('runs a second after a large message, not after small ones, and at most once a minute', () => {
    vi.useFakeTimers();
    const agent = new EventEmitter();
    const gc = vi.fn();
    collectAfterLargeSends(agent as unknown as MicroAgent, gc);
    sent(agent, 900);
    vi.advanceTimersByTime(5_000);
    expect(gc).not.toHaveBeenCalled();
    sent(agent, LARGE_MESSAGE_BYTES);
    expect(gc).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(gc).toHaveBeenCalledTimes(1);
    sent(agent, 256 * 1024);
    vi.advanceTimersByTime(MIN_GAP_MS - 2_000);
    expect(gc).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2_000);
    sent(agent, 256 * 1024);
    vi.advanceTimersByTime(1_000);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it('adds no listener where node runs without --expose-gc (a gateway embedding the agent)', () => {
    const agent = new EventEmitter();
    collectAfterLargeSends(agent as unknown as MicroAgent, undefined);
    expect(agent.listenerCount('message-sent')).toBe(0);
  });
});
