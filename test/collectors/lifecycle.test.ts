import { describe, expect, it } from 'vitest';
import { builtInCollectors } from '../../collectors/registry.js';
import { collectorOptions, recordingSink } from '../support/collector-harness.js';

describe.each(Object.entries(builtInCollectors))('the %s collector lifecycle', (name, factory) => {
  it('starts, collects, and stops twice without error, on the real host', async () => {
    const c = factory(collectorOptions());
    expect(c.name).toBe(name);
    const sink = recordingSink();
    await c.start?.(sink);
    await c.collect?.(sink);
    expect(c.status?.().state ?? 'running').not.toBe('failed');
    await c.stop();
    await c.stop();
    const after = sink.events.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.events.length).toBe(after);
  });

  it('stops safely without having started', async () => {
    const c = factory(collectorOptions());
    await expect(c.stop()).resolves.toBeUndefined();
  });
});
