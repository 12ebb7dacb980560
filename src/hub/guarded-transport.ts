/**
 * The SDK's MQTT transports, guarded: a twin message from the hub that is not JSON makes the SDK
 * throw from inside an event handler and kill the process (reference §0.4). Here such a response
 * becomes an ordinary twin error and such a desired patch is dropped, and nothing a listener throws
 * on an incoming message escapes.
 */
import mqttPkg from 'azure-iot-device-mqtt';
import type { Logger } from 'pino';
import { ConnectionLostError } from '../errors.js';

const { Mqtt, MqttWs } = mqttPkg;

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;
type PublishDone = (err?: Error | null, result?: unknown) => void;
interface MqttBaseLike {
  emit: Emit;
  publish(topic: string, payload: unknown, options: object, done: PublishDone): void;
}

function isJsonOrEmpty(payload: unknown): boolean {
  const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload ?? '');
  if (text.trim() === '') return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const NOT_JSON_ANSWER = Buffer.from(JSON.stringify({ errorCode: 400000, message: 'the hub answered a twin request with a body that is not JSON' }));

/**
 * Replaces `base.emit` so bad twin payloads are neutralised before the SDK parses them, and gives each publish's
 * result (MQTT.js hands back the whole packet, payload included) a short toJSON for the SDK's `PUBACK:` debug line.
 */
export function guardMqttBase(base: MqttBaseLike, log: Logger, onBadDesired: () => void = () => undefined): void {
  const publish = base.publish.bind(base);
  base.publish = (topic, payload, options, done) => publish(topic, payload, options, (err, result) => {
    shortenPacketJson(result);
    done(err, result);
  });
  const original = base.emit.bind(base);
  base.emit = (event, ...args) => {
    if (event !== 'message') return original(event, ...args);
    const [topic, payload] = args;
    if (typeof topic === 'string' && topic.startsWith('$iothub/twin/') && !isJsonOrEmpty(payload)) {
      if (topic.startsWith('$iothub/twin/res/')) {
        log.warn({ topic: topic.slice(0, 120) }, 'hub sent a twin response that is not JSON; treating it as a failed request');
        return original(event, topic, NOT_JSON_ANSWER);
      }
      log.warn({ topic: topic.slice(0, 120) }, 'hub sent a desired-properties patch that is not JSON; reading the full twin instead');
      onBadDesired();
      return true;
    }
    try {
      return original(event, ...args);
    } catch (err) {
      log.warn({ err, topic: typeof topic === 'string' ? topic.slice(0, 120) : undefined }, 'the SDK failed on a message from the hub; message dropped');
      return true;
    }
  };
}

type TransportCtor = new (...args: never[]) => object;

/**
 * The SDK writes each outgoing message into a debug line with JSON.stringify even when debug is off; for a Buffer
 * body that is an array of every byte (0.7 ms of CPU for a 12.7 KB message, about 250 ms for 200 KB, in lite mode,
 * blocking the event loop). A short toJSON instead; hub-link.ts gives it to every message it sends or outputs.
 */
export function shortenMessageJson(message: unknown): void {
  if (typeof message !== 'object' || message === null || Object.hasOwn(message, 'toJSON')) return;
  const data = (message as { data?: unknown }).data;
  const bytes = Buffer.isBuffer(data) || typeof data === 'string' ? Buffer.byteLength(data) : undefined;
  Object.defineProperty(message, 'toJSON', { value: () => ({ bytes }) });
}

/** Drops the connection at once, without waiting for unacknowledged publishes (which a half-open socket never gets). */
export interface ForceClose { forceClose(): void }

/**
 * The SDK tried to publish a message a second time. Its retry policy resends a failed sendEvent (after a dropped
 * connection, about 100 ms later, reconnecting a client already torn down if need be, which pushes the current
 * connection off the hub); the delivery loop owns retries, so the first failure stands. Not in the SDK's list of
 * retryable errors, so the SDK stops there.
 */
export class ResendRefusedError extends Error {
  constructor(readonly first: Error) {
    super(`the SDK tried to publish the same message again after: ${first.message}`);
    this.name = 'ResendRefusedError';
  }
}

type SendDone = (err?: Error | null, result?: unknown) => void;

interface MqttClientLike { end(force: boolean): unknown; stream?: { destroy(): void } }

/** The same for a packet MQTT.js returns from a publish: its payload is the message body again. */
function shortenPacketJson(packet: unknown): void {
  if (typeof packet !== 'object' || packet === null || Object.hasOwn(packet, 'toJSON')) return;
  const messageId = (packet as { messageId?: unknown }).messageId;
  Object.defineProperty(packet, 'toJSON', { value: () => ({ messageId }) });
}

/** A transport class whose MQTT base is guarded; passed to ModuleClient.fromConnectionString. */
export function guardedTransport(
  kind: 'mqtt' | 'mqtt-ws', log: Logger, onBadDesired?: () => void, onCreated?: (transport: ForceClose) => void,
): TransportCtor {
  const Base = (kind === 'mqtt' ? Mqtt : MqttWs) as unknown as new (...args: unknown[]) => {
    _mqtt: MqttBaseLike & { _mqttClient?: MqttClientLike };
    _fsm?: { state?: string };
    sendEvent(message: object, done: SendDone): void;
    sendOutputEvent(outputName: string, message: object, done: SendDone): void;
  };
  class Guarded extends Base implements ForceClose {
    /** Messages whose publish failed, with that first failure: each is published at most once. */
    private readonly failedSends = new WeakMap<object, Error>();

    constructor(...args: unknown[]) {
      super(...args);
      guardMqttBase(this._mqtt, log, onBadDesired);
      onCreated?.(this);
    }

    override sendEvent(message: object, done: SendDone): void {
      this.publishOnce(message, done, (settle) => super.sendEvent(message, settle));
    }

    /** Under IoT Edge the same rule for a module output (edgeHub). */
    override sendOutputEvent(outputName: string, message: object, done: SendDone): void {
      this.publishOnce(message, done, (settle) => super.sendOutputEvent(outputName, message, settle));
    }

    private publishOnce(message: object, done: SendDone, publish: (settle: SendDone) => void): void {
      const first = this.failedSends.get(message);
      if (first !== undefined) {
        log.debug({ reason: first.message }, 'the SDK tried to resend a failed publish; refused, the delivery loop retries');
        done(new ResendRefusedError(first));
        return;
      }
      // Published on an open connection and failed with it: the drop counts against the message (IoT Hub closes the
      // connection on a publish it refuses). A send while the SDK reconnects fails as an outage instead.
      const onOpenConnection = this._fsm?.state === 'connected';
      publish((err, result) => {
        const failure = err && onOpenConnection && err.name === 'NotConnectedError' ? new ConnectionLostError() : err;
        if (failure) this.failedSends.set(message, failure);
        done(failure, result);
      });
    }

    forceClose(): void {
      // The SDK's close() ends the MQTT client gracefully, which waits for every in-flight publish, and
      // a later end(true) is a no-op once that began: the socket itself is destroyed.
      const client = this._mqtt._mqttClient;
      client?.stream?.destroy();
      client?.end(true);
    }
  }
  return Guarded as unknown as TransportCtor;
}
