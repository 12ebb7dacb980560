/** An aedes broker whose hooks enforce IoT Hub's MQTT rules for module identities. */
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  classifyPublish, isAllowedSubscription, messageSize, topicMatches, MAX_SUBSCRIPTIONS, MESSAGE_SIZE_LIMIT,
} from './mqtt-dialect.js';
import { verifyModuleConnect, CONNACK_NOT_AUTHORIZED, type ModuleAddress } from './sas-auth.js';

/** What the hub does with the traffic the broker has accepted. */
export interface BrokerHandlers {
  hubName: string;
  log: Logger;
  refusingAuth(): boolean;
  lookupKey(address: ModuleAddress): string | undefined;
  telemetry(address: ModuleAddress, body: Buffer, properties: Record<string, string>): void;
  twinGet(client: Client, address: ModuleAddress, rid: string): void;
  reportedPatch(client: Client, address: ModuleAddress, rid: string, body: Buffer): void;
  methodResponse(address: ModuleAddress, rid: string, status: number, body: Buffer): void;
  connected(client: Client): void;
  disconnected(client: Client): void;
}

export function addressOf(client: Client): ModuleAddress {
  const slash = client.id.indexOf('/');
  return { deviceId: client.id.slice(0, slash), moduleId: client.id.slice(slash + 1) };
}

/** Granted filters per connection, kept here because aedes does not expose them in its types. */
const grantedFilters = new WeakMap<Client, Set<string>>();

function filtersOf(client: Client): Set<string> {
  let set = grantedFilters.get(client);
  if (!set) grantedFilters.set(client, (set = new Set()));
  return set;
}

/**
 * Sends to one client only, and only if it holds a matching subscription, as the real hub would:
 * twin topics carry no device id, so a broker-wide publish would reach every module.
 */
export function deliverTo(client: Client, topic: string, payload: Buffer | string, log: Logger): boolean {
  if (client.closed || ![...filtersOf(client)].some((f) => topicMatches(f, topic))) {
    log.debug({ clientId: client.id, topic }, 'not delivered: client is gone or not subscribed');
    return false;
  }
  const packet: PublishPacket = { cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false };
  client.publish(packet, (err) => {
    if (err) log.debug({ clientId: client.id, topic, err }, 'delivery failed');
  });
  return true;
}

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export async function createHubBroker(h: BrokerHandlers): Promise<Aedes> {
  const broker = await Aedes.createBroker({
    // IoT Hub client ids are `device/module`, longer than MQTT 3.1's 23 characters.
    maxClientsIdLength: 512,
    authenticate(client, username, password, done) {
      if (h.refusingAuth()) {
        h.log.info({ clientId: client.id }, 'CONNECT refused: refuseAuth is on');
        done(refusal('not authorized', CONNACK_NOT_AUTHORIZED), false);
        return;
      }
      const verdict = verifyModuleConnect(
        { clientId: client.id, username, password }, h.hubName, h.lookupKey, Math.floor(Date.now() / 1000),
      );
      if (verdict.ok) {
        done(null, true);
      } else {
        h.log.info({ clientId: client.id, reason: verdict.reason, returnCode: verdict.returnCode }, 'CONNECT refused');
        done(refusal(verdict.reason, verdict.returnCode), false);
      }
    },
    authorizeSubscribe(client, sub, done) {
      const { deviceId, moduleId } = addressOf(client);
      const filters = filtersOf(client);
      if (!isAllowedSubscription(sub.topic, deviceId, moduleId)) {
        h.log.info({ clientId: client.id, filter: sub.topic }, 'SUBSCRIBE refused: not an IoT Hub topic for this module');
        done(null, null);
        return;
      }
      if (!filters.has(sub.topic) && filters.size >= MAX_SUBSCRIPTIONS) {
        h.log.info({ clientId: client.id, filter: sub.topic }, 'SUBSCRIBE refused: more than 5 subscriptions');
        done(null, null);
        return;
      }
      filters.add(sub.topic);
      done(null, sub);
    },
    authorizePublish(client, packet, done) {
      if (!client) {
        done(null);
        return;
      }
      // Returning an error makes aedes close the connection, which is what IoT Hub does for these.
      if (packet.qos === 2) {
        done(new Error('QoS 2 is not supported by IoT Hub'));
        return;
      }
      const { deviceId, moduleId } = addressOf(client);
      const kind = classifyPublish(packet.topic, deviceId, moduleId);
      if (kind.kind === 'forbidden') {
        h.log.info({ clientId: client.id, topic: packet.topic }, kind.reason);
        done(new Error(kind.reason));
        return;
      }
      if (kind.kind === 'telemetry') {
        const size = messageSize(toBuffer(packet.payload), kind.properties);
        if (size > MESSAGE_SIZE_LIMIT) {
          h.log.info({ clientId: client.id, size }, 'message over 256 KB: closing the connection');
          done(new Error(`message of ${size} bytes is over the ${MESSAGE_SIZE_LIMIT} byte limit`));
          return;
        }
      }
      packet.retain = false;
      done(null);
    },
    published(packet, client, done) {
      if (client) dispatch(client, packet);
      done(null);
    },
  });

  function dispatch(client: Client, packet: PublishPacket): void {
    const address = addressOf(client);
    const body = toBuffer(packet.payload);
    const kind = classifyPublish(packet.topic, address.deviceId, address.moduleId);
    switch (kind.kind) {
      case 'telemetry': h.telemetry(address, body, kind.properties); break;
      case 'twin-get': h.twinGet(client, address, kind.rid); break;
      case 'twin-patch-reported': h.reportedPatch(client, address, kind.rid, body); break;
      case 'method-response': h.methodResponse(address, kind.rid, kind.status, body); break;
      case 'forbidden': break;
    }
  }

  broker.on('unsubscribe', (filters, client) => {
    const set = filtersOf(client);
    for (const f of filters) set.delete(f);
  });
  // 'client' fires once authenticated and before the CONNACK is written, so the SDK's open() never outruns it.
  broker.on('client', (client) => h.connected(client));
  broker.on('clientDisconnect', (client) => h.disconnected(client));
  // aedes reports persistence failures as 'error'; unhandled, they would crash the process.
  (broker as EventEmitter).on('error', (err: Error) => h.log.warn({ err: err.message }, 'broker error'));
  broker.on('clientError', (client, err) => h.log.debug({ clientId: client.id, err: err.message }, 'client error'));
  broker.on('connectionError', (_client, err) => h.log.debug({ err: err.message }, 'connection error'));
  return broker;
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}
