/** The run command's collection after a large send: only for large messages, at most once a minute, never without gc. */
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { loadCnProc } from '../../collectors/process/cn-proc-addon.js';
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

  it('hands the C heap back after the collection, not before', async () => {
    const clock = new FakeClock();
    const agent = new EventEmitter();
    const calls: string[] = [];
    collectAfterLargeSends(agent as unknown as MicroAgent, () => calls.push('gc'), clock, () => calls.push('trim'));
    sent(agent, LARGE_MESSAGE_BYTES);
    await clock.advance(1_000);
    expect(calls).toEqual(['gc', 'trim']);
  });

  it('adds no listener where node runs without --expose-gc (a gateway embedding the agent)', () => {
    const agent = new EventEmitter();
    collectAfterLargeSends(agent as unknown as MicroAgent, undefined);
    expect(agent.listenerCount('message-sent')).toBe(0);
  });
});

const addon = loadCnProc();
const addonPath = 'addon' in addon ? createRequire(import.meta.url).resolve('@iot-micro-agent/cn-proc') : undefined;

describe.skipIf(addonPath === undefined || process.platform !== 'linux')('the addon\'s trimMemory (skipped: the cn-proc addon does not load here)', () => {
  it('returns the freed pages of a fragmented C heap to the system', () => {
    // 400 buffers of 64 KB (under glibc's mmap threshold: heap) interleaved with small ones that stay, then freed.
    const script = `
      const { trimMemory } = require(${JSON.stringify(addonPath)});
      const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]);
      const keep = []; let big = [];
      for (let i = 0; i < 400; i++) { big.push(Buffer.allocUnsafeSlow(65536).fill(1)); keep.push(Buffer.allocUnsafeSlow(64).fill(1)); }
      big = null; gc(); gc();
      const before = anon(); trimMemory(); const after = anon();
      console.log(JSON.stringify({ before, after, kept: keep.length }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' })) as { before: number; after: number };
    expect(out.before - out.after).toBeGreaterThan(10 * 1024);
  });
});
