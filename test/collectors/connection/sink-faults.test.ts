import { createServer, connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionMonitor } from '../../../collectors/connection/index.js';
import type { Clock, EventSink } from '../../../collectors/types.js';
import { options } from './harness.js';

/** A clock whose interval the test fires by hand. */
class HandClock implements Clock {
  private readonly ticks: Array<() => void> = [];
  now(): number {
    return Date.now();
  }
  setTimeout(): () => void {
    return () => undefined;
  }
  setInterval(fn: () => void): () => void {
    this.ticks.push(fn);
    return () => this.ticks.splice(this.ticks.indexOf(fn), 1);
  }
  fire(): void {
    for (const fn of [...this.ticks]) fn();
  }
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('connection collector with a sink that throws', () => {
  it('leaves no unhandled rejection when both emit and error throw during a timed poll', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => {
      rejections.push(reason);
    };
    process.on('unhandledRejection', onRejection);
    cleanups.push(() => process.off('unhandledRejection', onRejection));
    const clock = new HandClock();
    const collector = createConnectionMonitor(options('/', { NetworkActivity_Devices: 'lo' , NetworkActivity_IncludeLoopback: true }, { clock }));
    let emits = 0;
    const sink: EventSink = {
      emit: () => {
        emits++;
        throw new Error('the gateway refused the event');
      },
      error: () => {
        throw new Error('the gateway refused the error too');
      },
    };
    await collector.start!(sink);
    cleanups.push(() => void collector.stop());
    const server = createServer((s) => cleanups.push(() => s.destroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => server.close());
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await new Promise<void>((r) => client.once('connect', () => r()));
    clock.fire();
    // the timed poll runs on its own; wait until it reached the sink, then one more turn for a rejection to surface
    for (let i = 0; i < 1000 && emits === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 0));
    expect(emits).toBeGreaterThan(0);
    expect(rejections).toEqual([]);
  });
});
