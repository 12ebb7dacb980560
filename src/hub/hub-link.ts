/**
 * The link to IoT Hub: a ModuleClient over MQTT, with what the SDK leaves out (reference §0):
 * an outer retry loop around open(), timeouts on twin calls, listeners on every 'error', and the
 * full twin read again after every (re)connect. Knows nothing of collectors.
 */
import { EventEmitter } from 'node:events';
import './sdk-lodash.js'; // first: fills lodash's module-cache entry before the SDK requires it
import commonPkg from 'azure-iot-common';
import devicePkg from 'azure-iot-device';
import type { Logger } from 'pino';
import type { Clock, Cancel } from '../clock.js';
import { NotConnectedError, TimeoutError, errorMessage } from '../errors.js';
import { backoffDelay } from '../backoff.js';
import { connectionStringSource, type ClientSource, type ModuleClientT } from './client-source.js';
import { connectFailureReason } from './connect-reason.js';
import type { ModuleConnectionString } from './connection-string.js';
import { ResendRefusedError, guardedTransport, shortenMessageJson, type ForceClose } from './guarded-transport.js';
import { disableMqttNumberCache } from './mqtt-packet-cache.js';

const { Message } = devicePkg;
const { ExponentialBackOffWithJitter } = commonPkg;
type TwinT = Awaited<ReturnType<ModuleClientT['getTwin']>>;

export type Transport = 'mqtt' | 'mqtt-ws';

/** stop(): how long the hub gets to acknowledge a clean disconnect before the socket is dropped. */
const STOP_CLOSE_MS = 2_000;
export type DesiredDocument = Record<string, unknown>;

/**
 * Where clients come from: a connection string or another source (IoT Edge's environment), of which the link
 * creates, owns and closes its clients; or the host program's client, used as it is and never closed.
 */
export type HubLinkOptions = HubLinkSettings & (
  | { connectionString: ModuleConnectionString; clientSource?: undefined; client?: undefined }
  | { clientSource: ClientSource; connectionString?: undefined; client?: undefined }
  | { client: ModuleClientT; connectionString?: undefined; clientSource?: undefined });

interface HubLinkSettings {
  /** PEM of a CA to trust (simulated hub, IoT Edge gateway). */
  ca?: string;
  transport?: Transport;
  log: Logger;
  clock: Clock;
  /** Twin GET and reported PATCH give up after this long (the SDK has no timeout). */
  twinTimeoutMs?: number;
  sendTimeoutMs?: number;
  openTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  random?: () => number;
  productInfo?: string;
}

export interface HubLinkEvents {
  connected: [];
  disconnected: [reason: string];
  /** The full desired document, after every (re)connect. */
  twin: [desired: DesiredDocument, reported: DesiredDocument];
  /** A desired patch pushed by the hub (with `$version`). */
  desired: [patch: DesiredDocument];
  /** One connection attempt failed (the loop retries after a backoff): the reason in one line. */
  'connect-failed': [reason: string];
}

export class HubLink extends EventEmitter<HubLinkEvents> {
  private readonly opts: Required<Omit<HubLinkSettings, 'ca' | 'productInfo'>> & Pick<HubLinkSettings, 'ca' | 'productInfo'>;
  private readonly source: ClientSource | undefined;
  private readonly borrowed: ModuleClientT | undefined;
  /** Removes the listeners this link put on a borrowed client and its twin. */
  private unlisten: (() => void)[] = [];
  private client: ModuleClientT | undefined;
  private transport: ForceClose | undefined;
  private twin: TwinT | undefined;
  private connected = false;
  private stopped = true;
  private connecting: Promise<void> | undefined;
  private cancelRetry: Cancel | undefined;
  private lastReason: string | undefined;
  private generation = 0;
  /** Twin requests waiting for an answer; QoS 0 answers are lost with the connection, so a reconnect fails them. */
  private readonly pendingTwin = new Set<(err: Error) => void>();

  constructor(options: HubLinkOptions) {
    super();
    const { connectionString, clientSource, client, ...settings } = options;
    if (client === undefined && clientSource === undefined && connectionString === undefined) {
      throw new TypeError('HubLink needs a connectionString, a clientSource or a client');
    }
    this.borrowed = client;
    this.source = clientSource ?? (connectionString !== undefined ? connectionStringSource(connectionString) : undefined);
    this.opts = {
      transport: 'mqtt', twinTimeoutMs: 20_000, sendTimeoutMs: 60_000, openTimeoutMs: 60_000,
      backoff: { initialMs: 1_000, maxMs: 60_000 }, random: Math.random, ...settings,
    };
  }

  get endpoint(): string {
    const address = this.source?.address;
    return address === undefined ? 'the hub (through the host program\'s client)' : address.gatewayHostName ?? address.hostName;
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Begins connecting in the background; retries with backoff until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    disableMqttNumberCache();
    this.connectLoop().catch((err: unknown) => this.opts.log.error({ reason: errorMessage(err) }, 'hub connection loop failed'));
  }

  /** Closes the connection: gracefully when the hub answers within 2 s, otherwise by dropping the socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelRetry?.();
    this.generation++;
    await this.teardown('stopped', STOP_CLOSE_MS);
  }

  /** Sends one security message; resolves on the hub's acknowledgement. */
  async send(body: Buffer): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) throw new NotConnectedError();
    const msg = new Message(body);
    msg.contentType = 'application/json';
    msg.contentEncoding = 'utf-8';
    msg.setAsSecurityMessage();
    shortenMessageJson(msg);
    try {
      // Under IoT Edge the message leaves on a module output; edgeHub's route takes it to $upstream.
      const output = this.source?.outputName;
      const sent = output === undefined ? client.sendEvent(msg) : client.sendOutputEvent(output, msg);
      await this.withTimeout(sent, this.opts.sendTimeoutMs, 'sending a message');
    } catch (err) {
      throw sendFailure(err);
    }
  }

  async updateReported(patch: Record<string, unknown>): Promise<void> {
    const twin = this.twin;
    if (!twin || !this.connected) throw new NotConnectedError();
    const done = new Promise<void>((resolve, reject) => {
      twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve()));
    });
    await this.twinRequest(done, 'updating reported properties');
  }

  private twinRequest<T>(p: Promise<T>, what: string): Promise<T> {
    let fail: (err: Error) => void = () => undefined;
    const lost = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    this.pendingTwin.add(fail);
    return this.withTimeout(Promise.race([p, lost]), this.opts.twinTimeoutMs, what).finally(() => this.pendingTwin.delete(fail));
  }

  private failPendingTwin(): void {
    for (const fail of this.pendingTwin) fail(new NotConnectedError('the connection dropped while waiting for the hub\'s answer'));
    this.pendingTwin.clear();
  }

  private async connectLoop(): Promise<void> {
    if (this.connecting) return this.connecting;
    this.connecting = (async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          await this.connectOnce();
          this.lastReason = undefined;
          return;
        } catch (err) {
          await this.teardown(undefined);
          if (this.stopped) return;
          const reason = connectFailureReason(err, this.endpoint, this.source?.advice);
          const delay = backoffDelay(attempt, { ...this.opts.backoff, random: this.opts.random });
          if (reason !== this.lastReason) this.opts.log.warn({ attempt: attempt + 1, retryInMs: delay }, reason);
          else this.opts.log.debug({ attempt: attempt + 1, retryInMs: delay }, reason);
          this.lastReason = reason;
          this.emit('connect-failed', reason);
          await new Promise<void>((resolve) => {
            this.cancelRetry = this.opts.clock.setTimeout(resolve, delay);
          });
        }
      }
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectOnce(): Promise<void> {
    const gen = ++this.generation;
    const log = this.opts.log;
    const client = this.borrowed ?? await this.createClient(gen);
    this.client = client;
    const on = <A extends unknown[]>(emitter: EventEmitter, event: string, listener: (...args: A) => void): void => {
      emitter.on(event, listener as (...args: unknown[]) => void);
      this.unlisten.push(() => emitter.removeListener(event, listener as (...args: unknown[]) => void));
    };
    on(client, 'error', (err: Error) => {
      log.warn({ err }, 'hub client error');
      this.scheduleReconnect(gen, 'client error');
    });
    on(client, 'disconnect', () => this.scheduleReconnect(gen, 'disconnected by the hub'));
    let opened = false;
    on(client, 'connect', () => {
      // The SDK reconnects by itself after retryable errors: the twin must be read again (§0.6).
      // A publish the hub refused (it closes the connection) failed with ConnectionLostError and is not resent
      // (guarded-transport.ts): the delivery loop counts it, and the message behind it goes out on this connection.
      if (opened && gen === this.generation) {
        this.failPendingTwin();
        void this.refreshTwin(gen);
      }
    });
    if (this.borrowed === undefined) {
      const options: Record<string, unknown> = { keepalive: 60 };
      if (this.opts.ca !== undefined) options['ca'] = this.opts.ca;
      if (this.opts.productInfo !== undefined) options['productInfo'] = this.opts.productInfo;
      await client.setOptions(options);
    }
    await this.withTimeout(client.open(), this.opts.openTimeoutMs, 'connecting');
    const twin = await this.withTimeout(client.getTwin(), this.opts.twinTimeoutMs, 'reading the twin');
    if (gen !== this.generation) throw new Error('superseded');
    this.twin = twin;
    on(twin, 'error', (err: Error) => {
      log.warn({ err }, 'twin error');
      this.scheduleReconnect(gen, 'twin error');
    });
    on(twin, 'properties.desired', (delta: DesiredDocument) => {
      // A full read fires this with the whole document object itself; only pushes are patches.
      if (delta === twin.properties.desired) return;
      this.emit('desired', delta);
    });
    opened = true;
    this.connected = true;
    const outputName = this.source?.outputName;
    log.info({ endpoint: this.endpoint, deviceId: this.source?.address.deviceId, moduleId: this.source?.address.moduleId, ...(outputName ? { output: outputName } : {}) }, 'connected to the hub');
    this.emit('connected');
    this.emit('twin', { ...twin.properties.desired }, { ...twin.properties.reported });
  }

  /** A client of our own over the guarded transport, with a retry policy that ends when it is torn down. */
  private async createClient(gen: number): Promise<ModuleClientT> {
    const source = this.source;
    if (source === undefined) throw new Error('no source of clients');
    // A desired patch the SDK could not parse is replaced by a full read, so no change is missed.
    const transport = guardedTransport(this.opts.transport, this.opts.log, () => setImmediate(() => void this.refreshTwin(gen)), (t) => {
      this.transport = t;
    });
    const client = await this.withTimeout(source.create(transport), this.opts.openTimeoutMs, 'getting the module\'s credentials');
    if (gen !== this.generation) {
      client.close().catch(() => undefined);
      throw new Error('superseded');
    }
    const sdkRetry = new ExponentialBackOffWithJitter();
    // A torn-down client's operations stop retrying: a retry would reconnect it and push out the current one.
    client.setRetryPolicy({
      shouldRetry: (err: Error) => gen === this.generation && !this.stopped && sdkRetry.shouldRetry(err),
      nextRetryTimeout: (count: number, throttled: boolean) => sdkRetry.nextRetryTimeout(count, throttled),
    });
    return client;
  }


  /** After an SDK-level reconnect: read the full twin; if that hangs, the session is gone: start over. */
  private async refreshTwin(gen: number): Promise<void> {
    const twin = this.twin;
    if (!twin) return;
    try {
      await this.twinRequest(twin.get(), 'reading the twin after a reconnect');
      if (gen !== this.generation) return;
      if (!this.connected) {
        this.connected = true;
        this.emit('connected');
      }
      this.emit('twin', { ...twin.properties.desired }, { ...twin.properties.reported });
    } catch (err) {
      this.opts.log.warn({ reason: errorMessage(err) }, 'twin read after reconnect failed; reconnecting from scratch');
      this.scheduleReconnect(gen, 'twin read failed');
    }
  }

  private scheduleReconnect(gen: number, reason: string): void {
    if (this.stopped || gen !== this.generation) return;
    this.generation++;
    void (async () => {
      await this.teardown(reason);
      if (!this.stopped) await this.connectLoop();
    })().catch((err: unknown) => this.opts.log.error({ reason: errorMessage(err) }, 'hub reconnect failed'));
  }

  private async teardown(reason: string | undefined, closeTimeoutMs = 5_000): Promise<void> {
    const client = this.client;
    const transport = this.transport;
    const wasConnected = this.connected;
    this.client = undefined;
    this.transport = undefined;
    this.twin = undefined;
    this.connected = false;
    this.failPendingTwin();
    if (wasConnected && reason !== undefined) this.emit('disconnected', reason);
    const listeners = this.unlisten.splice(0);
    if (!client) return;
    if (client === this.borrowed) {
      // The host program's client stays open, with its own listeners: it is theirs.
      for (const off of listeners) off();
      return;
    }
    try {
      await this.withTimeout(client.close(), closeTimeoutMs, 'closing the client');
    } catch {
      // A client that cannot close cleanly (half-open socket, publish in flight) is cut off.
      try {
        transport?.forceClose();
      } catch (err) {
        this.opts.log.debug({ reason: errorMessage(err) }, 'force-closing the client failed');
      }
    }
    client.removeAllListeners();
    client.on('error', () => undefined);
  }

  private withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.opts.clock.setTimeout(() => reject(new TimeoutError(what, ms)), ms);
      p.then(
        (v) => { cancel(); resolve(v); },
        (e: unknown) => { cancel(); reject(e instanceof Error ? e : new Error(String(e))); },
      );
    });
  }
}

/** The first failure of a publish, whatever the SDK did after it (ConnectionLostError when the connection dropped under it). */
function sendFailure(err: unknown): unknown {
  return err instanceof ResendRefusedError ? err.first : err;
}
