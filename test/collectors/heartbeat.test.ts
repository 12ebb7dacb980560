import { describe, expect, it } from 'vitest';
import { createHeartbeatCollector } from '../../collectors/heartbeat/index.js';
import { collectorOptions, recordingSink } from '../support/collector-harness.js';
import { expectSampleEvent } from '../support/golden.js';

describe('Heartbeat collector', () => {
  it('emits one empty periodic event per collection', async () => {
    const c = createHeartbeatCollector(collectorOptions({ clock: { now: () => 1_700_000_000_000, setTimeout: () => () => undefined, setInterval: () => () => undefined } }));
    const sink = recordingSink();
    await c.collect?.(sink);
    expect(sink.events).toEqual([{ name: 'Heartbeat', category: 'Periodic', eventType: 'Operational', payload: [], time: 1_700_000_000_000 }]);
    expectSampleEvent('heartbeat', sink.events[0], 'exact');
  });

  it('emits nothing after stop', async () => {
    const c = createHeartbeatCollector(collectorOptions());
    await c.stop();
    await c.stop();
    const sink = recordingSink();
    await c.collect?.(sink);
    expect(sink.events).toEqual([]);
  });
});
