import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedHub, createSasToken, moduleResource, type ModuleIdentity } from '../../src/sim-hub/index.js';
import { rawClient, rawClosed, rawConnected, rawEnd, rawNextMessage, rawSubscribe, within } from './sdk-module.js';
import type mqtt from 'mqtt';

describe('IoT Hub MQTT rules, exercised with a raw MQTT client', () => {
  let hub: SimulatedHub;
  let identity: ModuleIdentity;
  const open: mqtt.MqttClient[] = [];

  async function connected(options: Parameters<typeof rawClient>[2] = {}, who = identity): Promise<mqtt.MqttClient> {
    const c = rawClient(hub, who, options);
    open.push(c);
    await rawConnected(c);
    return c;
  }

  beforeEach(async () => {
    hub = await SimulatedHub.start();
    identity = hub.createModule('dev-1');
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map(rawEnd));
    await hub.stop();
  });

  it('closes the connection when body plus properties exceed 256 KB', async () => {
    const c = await connected();
    const closed = rawClosed(c);
    const topic = `devices/dev-1/modules/DefenderIotMicroAgent/messages/events/big=${'p'.repeat(2048)}`;
    c.publish(topic, Buffer.alloc(256 * 1024 - 1024), { qos: 1 });
    await closed;
    expect(hub.messages()).toHaveLength(0);
  });

  it('closes the connection on a QoS 2 publish and on a publish to another module\'s topic', async () => {
    const c1 = await connected();
    const closed1 = rawClosed(c1);
    c1.publish('devices/dev-1/modules/DefenderIotMicroAgent/messages/events/', 'x', { qos: 2 });
    await closed1;
    const c2 = await connected();
    const closed2 = rawClosed(c2);
    c2.publish('devices/dev-2/modules/DefenderIotMicroAgent/messages/events/', 'x', { qos: 1 });
    await closed2;
    expect(hub.messages()).toHaveLength(0);
  });

  it('grants at most 5 subscriptions and refuses filters that are not IoT Hub topics', async () => {
    const c = await connected();
    const granted = await rawSubscribe(c, ['$iothub/twin/res/#', '$iothub/twin/PATCH/properties/desired/#', '#']);
    expect(granted).toEqual([0, 0, 128]);
    await rawSubscribe(c, ['$iothub/methods/POST/#', 'devices/dev-1/modules/DefenderIotMicroAgent/inputs/#']);
    expect(await rawSubscribe(c, ['devices/dev-2/modules/DefenderIotMicroAgent/inputs/#'])).toEqual([128]);
  });

  it('answers malformed reported JSON with 400 and a JSON errorCode body', async () => {
    const c = await connected();
    await rawSubscribe(c, ['$iothub/twin/res/#']);
    const answer = rawNextMessage(c, '$iothub/twin/res/');
    c.publish('$iothub/twin/PATCH/properties/reported/?$rid=7', '{not json');
    const { topic, payload } = await answer;
    expect(topic).toBe('$iothub/twin/res/400/?$rid=7');
    expect(JSON.parse(payload.toString())).toMatchObject({ errorCode: 400006 });
  });

  it('answers a reported patch with 204, an empty body and the new version', async () => {
    const c = await connected();
    await rawSubscribe(c, ['$iothub/twin/res/#']);
    const answer = rawNextMessage(c, '$iothub/twin/res/');
    c.publish('$iothub/twin/PATCH/properties/reported/?$rid=8', JSON.stringify({ a: 1 }));
    const { topic, payload } = await answer;
    expect(topic).toBe('$iothub/twin/res/204/?$rid=8&$version=2');
    expect(payload.length).toBe(0);
  });

  it('sends a raw twin body once, then JSON again', async () => {
    const c = await connected();
    await rawSubscribe(c, ['$iothub/twin/res/#']);
    hub.sendRawTwinResponse('dev-1', 'DefenderIotMicroAgent', 'not json at all');
    const first = rawNextMessage(c, '$iothub/twin/res/200/?$rid=1');
    c.publish('$iothub/twin/GET/?$rid=1', ' ');
    expect((await first).payload.toString()).toBe('not json at all');
    const second = rawNextMessage(c, '$iothub/twin/res/200/?$rid=2');
    c.publish('$iothub/twin/GET/?$rid=2', ' ');
    expect(JSON.parse((await second).payload.toString())).toEqual({ desired: { $version: 1 }, reported: { $version: 1 } });
  });

  it('answers twin requests only to the client that asked', async () => {
    const other = hub.createModule('dev-2');
    const asker = await connected();
    const bystander = await connected({}, other);
    await rawSubscribe(asker, ['$iothub/twin/res/#']);
    await rawSubscribe(bystander, ['$iothub/twin/res/#']);
    const overheard = within(rawNextMessage(bystander, '$iothub/twin/res/', 2_000), 300);
    const answer = rawNextMessage(asker, '$iothub/twin/res/200/');
    asker.publish('$iothub/twin/GET/?$rid=9', ' ');
    await answer;
    expect(await overheard).toBe('timeout');
  });

  it('kicks the older connection when the same client id connects again', async () => {
    const first = await connected();
    const kicked = rawClosed(first);
    await connected();
    await kicked;
    expect(hub.connectedClients()).toEqual(['dev-1/DefenderIotMicroAgent']);
  });

  it('refuses an expired token, a wrong username and a clientId that does not match', async () => {
    const expired = createSasToken(moduleResource(hub.hubName, 'dev-1', 'DefenderIotMicroAgent'), identity.primaryKey,
      Math.floor(Date.now() / 1000) - 10);
    const cases = [
      { password: expired },
      { username: 'other-hub.azure-devices.net/dev-1/DefenderIotMicroAgent/?api-version=2021-04-12' },
      { clientId: 'dev-1/another-module' },
    ];
    for (const options of cases) {
      const c = rawClient(hub, identity, options);
      open.push(c);
      const err = await rawConnected(c).then(() => undefined, (e: Error & { code?: number }) => e);
      expect(err?.code, JSON.stringify(options).slice(0, 60)).toBeOneOf([4, 5]);
    }
    expect(hub.connectedClients()).toEqual([]);
  });

  it('calls a direct method and returns the module\'s answer', async () => {
    const c = await connected();
    await rawSubscribe(c, ['$iothub/methods/POST/#']);
    c.on('message', (topic: string, payload: Buffer) => {
      const rid = /\$rid=(\w+)/.exec(topic)?.[1] ?? '';
      if (topic.startsWith('$iothub/methods/POST/ping/')) {
        c.publish(`$iothub/methods/res/200/?$rid=${rid}`, JSON.stringify({ pong: JSON.parse(payload.toString()) }));
      }
    });
    await expect(hub.invokeMethod('dev-1', 'DefenderIotMicroAgent', 'ping', { n: 1 })).resolves.toEqual({ status: 200, payload: { pong: { n: 1 } } });
    await expect(hub.invokeMethod('dev-9', 'DefenderIotMicroAgent', 'ping')).rejects.toThrow(/404103/);
  });
});
