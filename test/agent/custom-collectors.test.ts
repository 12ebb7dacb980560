import { describe, expect, it } from 'vitest';
import { agentSchemas, defineCollector, type CollectorSettings } from '../../src/index.js';
import type { ConfigAppliedEvent, ConfigRejectedEvent } from '../../src/agent-events.js';
import { FAST_TWIN, eventsOf, startRig } from '../support/agent-harness.js';
import { waitUntil } from '../support/twin-push.js';

/** A collector that emits, per collect: a valid item, one with a negative Count (invalid), and another valid one. */
function inventory(seen: CollectorSettings[]) {
  return defineCollector({
    name: 'Inventory',
    event: {
      name: 'InventoryItem', category: 'Triggered', eventType: 'Security',
      payloadItemSchema: {
        type: 'object', additionalProperties: false, required: ['Sku', 'Count'],
        properties: { Sku: { type: 'string', pattern: '^[A-Z]{3}-[0-9]+$' }, Count: { type: 'integer', minimum: 0 } },
      },
    },
    twinKeys: { Site: { schema: { type: 'string', minLength: 1, maxLength: 16 }, default: 'north' } },
    create: ({ settings, clock }) => {
      seen.push(settings);
      let round = 0;
      return {
        name: 'Inventory',
        async collect(out) {
          round++;
          for (const [sku, count] of [[`ABC-${round}`, 1], ['BAD-1', -1], [`XYZ-${round}`, 2]] as const) {
            out.emit({ name: 'InventoryItem', category: 'Triggered', eventType: 'Security', time: clock.now(), payload: [{ Sku: sku, Count: count }] });
          }
        },
        async stop() {},
      };
    },
  });
}

const TWIN = { ...FAST_TWIN, SystemInformation_Disabled: true, Inventory_MessageFrequency: 'High' };

describe('a custom collector declared with defineCollector', () => {
  it('has its twin keys validated and reported like the built-in ones, in the same desired document', async () => {
    const seen: CollectorSettings[] = [];
    const rig = await startRig({ customCollectors: [inventory(seen)], twinDefaults: TWIN });
    const { hub, identity, agent } = rig;
    const applied: ConfigAppliedEvent[] = [];
    const rejected: ConfigRejectedEvent[] = [];
    agent.on('config-applied', (e) => applied.push(e));
    agent.on('config-rejected', (e) => rejected.push(e));
    const first = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    expect(first['collectors']).toMatchObject({
      Inventory: { state: 'running', settings: { Inventory_Disabled: false, Inventory_MessageFrequency: 'High', Inventory_CacheSize: 256, Inventory_Site: 'north' } },
    });

    hub.patchDesired(identity.deviceId, identity.moduleId, { Inventory_Site: 'south', Inventory_CacheSize: 10 });
    const ok = await hub.waitForReported(identity.deviceId, identity.moduleId,
      (r) => r['latest_state'] === 'success' && (r['collectors'] as { Inventory?: { settings?: { Inventory_Site?: string } } }).Inventory?.settings?.Inventory_Site === 'south', 10_000);
    expect(ok['latest_invalid_fields']).toEqual([]);
    expect(applied.at(-1)?.changedKeys).toEqual(['Inventory_CacheSize', 'Inventory_Site']);
    expect(typeof applied.at(-1)?.version).toBe('number');
    // The collector was restarted with its new settings.
    expect(seen.at(-1)).toMatchObject({ Inventory_Site: 'south', Inventory_CacheSize: 10 });

    hub.patchDesired(identity.deviceId, identity.moduleId, {
      Inventory_Site: 'x'.repeat(17), Inventory_MessageFrequency: 'Hourly', Inventory_Bogus: 1, Heartbeat_MessageFrequency: 'Never',
    });
    const failed = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'failed', 10_000);
    const keys = ['Heartbeat_MessageFrequency', 'Inventory_Bogus', 'Inventory_MessageFrequency', 'Inventory_Site'];
    expect(failed['latest_invalid_fields']).toEqual(keys);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.invalidFields).toEqual(keys);
    expect(rejected[0]?.reasons).toContainEqual({ key: 'Inventory_Site', reason: 'must be at most 16 characters' });
    expect(rejected[0]?.reasons).toContainEqual({ key: 'Inventory_Bogus', reason: 'unknown key' });
    // The running configuration stays.
    expect(agent.configuration()).toMatchObject({ Inventory_Site: 'south', Inventory_MessageFrequency: 'High' });
  }, 30_000);

  it('drops and counts an invalid event at emit, logs it once, and sends the others in the same envelope', async () => {
    const def = inventory([]);
    const rig = await startRig({ customCollectors: [def], twinDefaults: TWIN }, { startAgent: false });
    const problems: { source: string; collector?: string }[] = [];
    rig.agent.on('error', (_err, problem) => problems.push(problem));
    await rig.agent.start();
    const schemas = agentSchemas([def]);
    const items = (): { Sku: string }[] => rig.hub.messages().flatMap((m) => eventsOf(m.body))
      .filter((e) => e.Name === 'InventoryItem').flatMap((e) => e['Payload'] as { Sku: string }[]);
    await waitUntil(() => items().some((i) => i.Sku === 'XYZ-2'), 15_000);
    for (const m of rig.hub.messages()) expect(schemas.validateMessage(JSON.parse(m.body.toString('utf8')))).toEqual([]);
    expect(items().map((i) => i.Sku)).toEqual(expect.arrayContaining(['ABC-1', 'XYZ-1', 'ABC-2', 'XYZ-2']));
    expect(items().some((i) => i.Sku === 'BAD-1')).toBe(false);
    const status = rig.agent.status().collectors['Inventory'];
    expect(status?.refused).toBeGreaterThanOrEqual(2);
    expect(status?.emitted).toBeGreaterThanOrEqual(4);
    expect(status?.emitted).toBe(2 * (status?.refused ?? 0));
    expect(status?.detail).toMatch(/invalid events refused; last: InventoryItem: payload item 0 \/Count must be >= 0/);
    expect(rig.logs.filter((l) => l.msg === 'invalid event refused; later ones are only counted' && l['collector'] === 'Inventory')).toHaveLength(1);
    expect(problems).toContainEqual(expect.objectContaining({ source: 'collector', collector: 'Inventory' }));
    // The message schema set without the declaration does not know the event.
    const message = rig.hub.messages().find((m) => eventsOf(m.body).some((e) => e.Name === 'InventoryItem'));
    expect(agentSchemas().validateMessage(JSON.parse(message?.body.toString('utf8') ?? '{}')).length).toBeGreaterThan(0);
  }, 30_000);
});

describe('defineCollector and the agent refuse a bad declaration with one clear line', () => {
  const create = () => ({ name: 'X', async stop() {} });
  const event = { name: 'Ev', category: 'Periodic', eventType: 'Security', payloadItemSchema: { type: 'object' } } as const;

  it('names the problem', () => {
    expect(() => defineCollector({ name: 'lower', event, create })).toThrow(/name must start with a capital letter/);
    expect(() => defineCollector({ name: 'Ok', event: { ...event, category: 'Sometimes' as 'Periodic' }, create })).toThrow(/category/);
    expect(() => defineCollector({ name: 'Ok', event, create, twinKeys: { Disabled: { schema: { type: 'boolean' }, default: true } } })).toThrow(/not one of/);
    expect(() => agentSchemas([defineCollector({ name: 'Process', event, create })])).toThrow(/already used/);
    expect(() => agentSchemas([defineCollector({ name: 'Ok', event, create, twinKeys: { Level: { schema: { type: 'integer', maximum: 3 }, default: 9 } } })]))
      .toThrow('custom collectors: invalid default: Ok_Level must be <= 3');
    expect(() => agentSchemas([defineCollector({ name: 'Ok', event, create, twinKeys: { Level: { schema: { type: 'integer', maximun: 3 }, default: 1 } } })]))
      .toThrow(/not valid JSON Schema/);
    expect(() => agentSchemas([defineCollector({ name: 'Ok', event: { ...event, name: 'ProcessCreate' }, create })])).toThrow(/already in the message schema set/);
  });

  it('validates a desired document with the custom keys like the agent does', () => {
    const schemas = agentSchemas([defineCollector({ name: 'Ok', event, create, twinKeys: { Level: { schema: { type: 'integer', maximum: 3 }, default: 1 } } })]);
    expect(schemas.validateDesired({ $version: 3, Ok_Level: 2, Ok_Disabled: true, Process_Disabled: true })).toEqual({ valid: true });
    expect(schemas.validateDesired({ Ok_Level: 4, Ok_CacheSize: 0, Nope: 1 })).toMatchObject({ valid: false, invalidFields: ['Nope', 'Ok_CacheSize', 'Ok_Level'] });
  });
});
