/** Test helpers: the real azure-iot-device ModuleClient over TLS to a SimulatedHub, plus a raw MQTT client. */
import deviceSdk from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import mqtt from 'mqtt';
import type { ModuleIdentity, SimulatedHub } from '../../src/sim-hub/index.js';
import { createSasToken, moduleResource } from '../../src/sim-hub/index.js';

export const { ModuleClient, Message } = deviceSdk;
export type ModuleClientT = InstanceType<typeof deviceSdk.ModuleClient>;
export type TwinT = Awaited<ReturnType<ModuleClientT['getTwin']>>;

/** A ModuleClient that trusts the hub's CA; not yet opened. */
export async function sdkClient(hub: SimulatedHub, identity: ModuleIdentity): Promise<ModuleClientT> {
  const client = ModuleClient.fromConnectionString(identity.connectionString, Mqtt);
  await client.setOptions({ ca: hub.caPem });
  // An unhandled 'error' would crash the test worker (reference gotcha 7).
  client.on('error', () => undefined);
  return client;
}

export async function openedClient(hub: SimulatedHub, identity: ModuleIdentity): Promise<ModuleClientT> {
  const client = await sdkClient(hub, identity);
  await client.open();
  return client;
}

export function updateReported(twin: TwinT, patch: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve()));
  });
}

export function nextEvent<T>(hub: SimulatedHub, event: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms`)), timeoutMs);
    hub.once(event, (arg: T) => {
      clearTimeout(timer);
      resolve(arg);
    });
  });
}

/** Resolves 'timeout' if the promise has not settled within ms. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([promise, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
}

export interface RawOptions {
  clientId?: string;
  username?: string;
  password?: string;
  clean?: boolean;
}

/** mqtt.js over TLS with IoT Hub credentials computed like the SDK does, for what the SDK cannot send. */
export function rawClient(hub: SimulatedHub, identity: ModuleIdentity, options: RawOptions = {}): mqtt.MqttClient {
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  return mqtt.connect({
    protocol: 'mqtts',
    host: 'localhost',
    port: hub.port,
    ca: hub.caPem,
    clientId: options.clientId ?? `${identity.deviceId}/${identity.moduleId}`,
    username: options.username ?? `${hub.hubName}/${identity.deviceId}/${identity.moduleId}/?api-version=2021-04-12`,
    password: options.password
      ?? createSasToken(moduleResource(hub.hubName, identity.deviceId, identity.moduleId), identity.primaryKey, expiry),
    protocolVersion: 4,
    clean: options.clean ?? false,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
}

export function rawConnected(client: mqtt.MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
}

export function rawClosed(client: mqtt.MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

export function rawSubscribe(client: mqtt.MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos: 0 }, (err, granted) => (err ? reject(err) : resolve(granted.map((g) => g.qos))));
  });
}

export function rawEnd(client: mqtt.MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(true, {}, () => resolve()));
}

/** The next message on a topic starting with `prefix`. */
export function rawNextMessage(client: mqtt.MqttClient, prefix: string, timeoutMs = 5_000): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${prefix} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!topic.startsWith(prefix)) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic, payload });
    };
    client.on('message', onMessage);
  });
}
