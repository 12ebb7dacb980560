import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedHub, type ModuleIdentity } from '../../src/sim-hub/index.js';
import { openedClient, updateReported, type ModuleClientT } from './sdk-module.js';

const MODULE = 'DefenderIotMicroAgent';

describe('module twin through the real azure-iot-device client', () => {
  let hub: SimulatedHub;
  let identity: ModuleIdentity;
  let client: ModuleClientT;

  beforeEach(async () => {
    hub = await SimulatedHub.start();
    identity = hub.createModule('dev-1');
    client = await openedClient(hub, identity);
  });

  afterEach(async () => {
    await client.close().catch(() => undefined);
    await hub.stop();
  });

  it('returns the desired and reported sections with their versions on getTwin', async () => {
    hub.patchDesired('dev-1', MODULE, { Process_Disabled: true });
    const twin = await client.getTwin();
    expect(twin.properties.desired).toMatchObject({ Process_Disabled: true, $version: 2 });
    expect(twin.properties.reported).toMatchObject({ $version: 1 });
  });

  it('merges a reported patch with null-delete and bumps the reported version', async () => {
    const twin = await client.getTwin();
    const reported: Array<{ patch: Record<string, unknown> }> = [];
    hub.on('reported', (e: { patch: Record<string, unknown> }) => reported.push(e));

    await updateReported(twin, { latest_state: 'success', latest_invalid_fields: [], nested: { a: 1, b: 2 } });
    expect(hub.getTwin('dev-1', MODULE).reported).toEqual({
      latest_state: 'success', latest_invalid_fields: [], nested: { a: 1, b: 2 }, $version: 2,
    });
    await updateReported(twin, { nested: { a: null }, latest_state: 'failed' });
    expect(hub.getTwin('dev-1', MODULE).reported).toEqual({
      latest_state: 'failed', latest_invalid_fields: [], nested: { b: 2 }, $version: 3,
    });
    expect(reported.map((e) => e.patch)).toEqual([
      { latest_state: 'success', latest_invalid_fields: [], nested: { a: 1, b: 2 } },
      { nested: { a: null }, latest_state: 'failed' },
    ]);
    await expect(hub.waitForReported('dev-1', MODULE, (r) => r['latest_state'] === 'failed')).resolves.toMatchObject({ $version: 3 });
  });

  it('resolves waitForReported when a later patch matches', async () => {
    const twin = await client.getTwin();
    const waiting = hub.waitForReported('dev-1', MODULE, (r) => r['latest_state'] === 'success');
    await updateReported(twin, { latest_state: 'pending' });
    await updateReported(twin, { latest_state: 'success' });
    await expect(waiting).resolves.toMatchObject({ latest_state: 'success', $version: 3 });
  });

  it('pushes a desired patch with its $version to the connected module', async () => {
    const twin = await client.getTwin();
    const received = new Promise<Record<string, unknown>>((resolve) => {
      twin.on('properties.desired', (patch: Record<string, unknown>) => {
        if (patch['Login_Disabled'] !== undefined) resolve(patch);
      });
    });
    // the first listener subscribes; wait until the SUBSCRIBE has gone through
    await new Promise((r) => setTimeout(r, 200));
    const version = hub.patchDesired('dev-1', MODULE, { Login_Disabled: true });
    expect(version).toBe(2);
    await expect(received).resolves.toEqual({ Login_Disabled: true, $version: 2 });
    expect(twin.properties.desired).toMatchObject({ Login_Disabled: true, $version: 2 });
  });

  it('answers throttled twin requests with 429 and a JSON error that the SDK surfaces', async () => {
    hub.throttleTwin(1);
    await expect(client.getTwin()).rejects.toThrow(/throttling/i);
    const twin = await client.getTwin();
    expect(twin.properties.reported).toMatchObject({ $version: 1 });
  });

  it('rejects a reported patch that would make the section larger than 32 KB', async () => {
    const twin = await client.getTwin();
    await expect(updateReported(twin, { big: 'x'.repeat(4000), a: 'y'.repeat(4000), b: 'y'.repeat(4000), c: 'y'.repeat(4000),
      d: 'y'.repeat(4000), e: 'y'.repeat(4000), f: 'y'.repeat(4000), g: 'y'.repeat(4000), h: 'y'.repeat(1000) }))
      .rejects.toThrow(/over the 32768 byte limit/);
    expect(hub.getTwin('dev-1', MODULE).reported).toEqual({ $version: 1 });
  });
});
