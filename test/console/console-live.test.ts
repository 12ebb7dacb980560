import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';
import { consoleCall, openEvents, type SseEvent } from './console-client.js';

type Doc = Record<string, unknown>;

interface TwinEvent { deviceId: string; moduleId: string; desired: Doc; reported: Doc }
interface MessageEvent { seq: number; deviceId: string; moduleId: string; receivedAt: string; properties: Doc; body: Doc;
  events: { name: string; category: string; hits: number }[] }

const isTwin = (e: SseEvent): e is SseEvent & { data: TwinEvent } => e.type === 'twin';

describe('web console, live, with a real agent (azure-iot-device over TLS)', () => {
  it('streams the connection, a Heartbeat message, desired changes and the agent\'s latest_state answers, and ends when the hub stops', async () => {
    const rig = await startRig({}, { startAgent: false });
    const { hub, identity } = rig;
    const stream = await openEvents(hub);
    expect(stream.status).toBe(200);
    await rig.agent.start();
    const address = { deviceId: identity.deviceId, moduleId: identity.moduleId };
    await stream.waitFor((e) => e.type === 'connection' && JSON.stringify(e.data) === JSON.stringify({ ...address, connectionState: 'Connected' }),
      'connection Connected');

    const heartbeat = await stream.waitFor((e) => e.type === 'message' && (e.data as MessageEvent).events.some((x) => x.name === 'Heartbeat'),
      'Heartbeat message');
    const message = heartbeat.data as MessageEvent;
    expect(message).toMatchObject(address);
    expect(new Date(message.receivedAt).toISOString()).toBe(message.receivedAt);
    expect(message.properties['$.ifid']).toBe('urn:azureiot:Security:SecurityAgent:1');
    const bodyEvents = message.body['Events'] as { Name: string; Category: string; Payload: unknown[] }[];
    const hb = bodyEvents.filter((e) => e.Name === 'Heartbeat');
    expect(message.events.find((e) => e.name === 'Heartbeat')).toEqual({
      name: 'Heartbeat', category: hb[0]?.Category, hits: hb.reduce((n, e) => n + e.Payload.length, 0),
    });
    const listed = await consoleCall(hub, 'GET', '/console/api/messages?event=Heartbeat&limit=500', { token: true });
    const items = (listed.json as { items: MessageEvent[] }).items;
    expect(items.map((m) => m.seq)).toContain(message.seq);
    expect(items.every((m) => m.events.some((e) => e.name === 'Heartbeat'))).toBe(true);
    expect(items.map((m) => m.seq)).toEqual([...items.map((m) => m.seq)].sort((a, b) => b - a));

    const twinPath = `/console/api/devices/${identity.deviceId}/modules/${identity.moduleId}/twin/desired`;
    let mark = stream.events.length;
    const invalid = await consoleCall(hub, 'PATCH', twinPath, { token: true, body: { Heartbeat_MessageFrequency: 'Sometimes' } });
    expect(invalid.status).toBe(200);
    const after = (since: number) => (e: SseEvent): boolean => stream.events.indexOf(e) >= since;
    await stream.waitFor((e) => after(mark)(e) && isTwin(e) && e.data.desired['Heartbeat_MessageFrequency'] === 'Sometimes', 'twin with the new desired');
    const failed = await stream.waitFor((e) => after(mark)(e) && isTwin(e) && e.data.reported['latest_state'] === 'failed', 'twin with failed');
    expect((failed.data as TwinEvent).reported['latest_invalid_fields']).toEqual(['Heartbeat_MessageFrequency']);
    expect(failed.data).toMatchObject(address);

    mark = stream.events.length;
    await consoleCall(hub, 'PATCH', twinPath, { token: true, body: { Heartbeat_MessageFrequency: 'Medium' } });
    const success = await stream.waitFor((e) => after(mark)(e) && isTwin(e) && e.data.reported['latest_state'] === 'success', 'twin with success');
    expect((success.data as TwinEvent).reported['latest_invalid_fields']).toEqual([]);
    expect((success.data as TwinEvent).desired['Heartbeat_MessageFrequency']).toBe('Medium');

    await consoleCall(hub, 'PUT', '/console/api/devices/other-device/modules/m1', { token: true });
    expect((await consoleCall(hub, 'PUT', '/console/api/devices/test-device/modules/m1', { token: true })).status).toBe(201);
    await consoleCall(hub, 'DELETE', '/console/api/devices/test-device/modules/m1', { token: true });
    await stream.waitFor((e) => e.type === 'identity' && JSON.stringify(e.data) === '{"deviceId":"test-device","moduleId":"m1","change":"deleted"}',
      'identity deleted');
    expect(stream.events.filter((e) => e.type === 'identity').map((e) => e.data)).toEqual([
      { deviceId: 'test-device', moduleId: 'm1', change: 'added' }, { deviceId: 'test-device', moduleId: 'm1', change: 'deleted' },
    ]);

    await rig.agent.stop();
    await stream.waitFor((e) => e.type === 'connection' && (e.data as Doc)['connectionState'] === 'Disconnected', 'connection Disconnected');
    await rig.close();
    await stream.ended;
  }, 60_000);
});
