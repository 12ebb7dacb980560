/** Losses before a collector saw the events (a kernel buffer overflow) reach the hub in DroppedEventsStatistics. */
import { afterEach, describe, expect, it } from 'vitest';
import { defineCollector } from '../../src/index.js';
import { FAST_TWIN, eventsOf, startRig, type Rig } from '../support/agent-harness.js';
import { waitUntil } from '../support/stream-tally.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A collector whose source overflowed `times` times since it started. */
function overflowing(times: () => number) {
  return defineCollector({
    name: 'Lossy',
    event: {
      name: 'LossyItem', category: 'Triggered', eventType: 'Security',
      payloadItemSchema: { type: 'object', properties: { N: { type: 'integer' } } },
    },
    twinKeys: {},
    create: () => ({ name: 'Lossy', async stop() {}, sourceOverflows: times }),
  });
}

describe('source overflows in the Statistics events', () => {
  it('are sent per period in the collector\'s DroppedEventsStatistics item, beside its DroppedEvents', async () => {
    let overflows = 2;
    rig = await startRig({ customCollectors: [overflowing(() => overflows)], twinDefaults: { ...FAST_TWIN, SystemInformation_Disabled: true } });
    type Item = { DroppedEvents: number; ExtraDetails?: Record<string, string> };
    const lossy = (): Item[] => rig!.hub.messages().flatMap((m) => eventsOf(m.body)).filter((e) => e.Name === 'DroppedEventsStatistics')
      .flatMap((e) => e['Payload'] as Item[]).filter((p) => p.ExtraDetails?.['Collector'] === 'Lossy');
    await waitUntil(() => lossy().length >= 1, 20_000, 'a DroppedEventsStatistics item for Lossy');
    expect(lossy()[0]).toMatchObject({ DroppedEvents: 0, ExtraDetails: { Collector: 'Lossy', SourceOverflows: '2' } });
    overflows = 7;
    await waitUntil(() => lossy().some((p) => p.ExtraDetails?.['SourceOverflows'] === '5'), 20_000, 'the next period\'s 5');
  });
});
