/** The simulated IoT Hub: TLS listener, aedes broker with IoT Hub's rules, identities, twins, capture and faults. */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import { silentLogger } from '../log.js';
import { loadOrCreateCertificates, type HubCertificates } from './certificates.js';
import { DirectMethods, type MethodResult } from './direct-methods.js';
import { waitForEvent } from './event-waiter.js';
import { consoleTokenProblem } from './console/console-access.js';
import { createHubConsole } from './console/hub-console.js';
import type { WebConsole } from './console/web-console.js';
import { addressOf, createHubBroker } from './hub-broker.js';
import { HubService } from './hub-service.js';
import { messageSize } from './mqtt-dialect.js';
import { DEFAULT_MODULE_ID, ModuleIdentities, moduleKey, type ModuleIdentity } from './module-identities.js';
import type { ModuleAddress } from './sas-auth.js';
import { ServiceEndpoint, type ServiceCall } from './service-http.js';
import { TwinService } from './twin-service.js';
import { TwinStore, type TwinDocument } from './twin-store.js';

export interface SimHubOptions {
  /** 0 = ephemeral (default) */
  port?: number;
  /** default '127.0.0.1' */
  host?: string;
  /** certificates are persisted here; a temp dir (removed on stop) when absent */
  stateDir?: string;
  /** default 'sim-hub.azure-devices.net' */
  hubName?: string;
  /** the HTTPS service API's port; 0 = ephemeral (default) */
  servicePort?: number;
  /** the most items one query page holds (default 100) */
  servicePageSize?: number;
  /** the web console's access token; random (32 bytes, base64url) when absent */
  consoleToken?: string;
  log?: Logger;
}

/** The service policy the simulated hub accepts, like IoT Hub's built-in iothubowner. */
export const SERVICE_POLICY = 'iothubowner';

export interface CapturedMessage {
  deviceId: string;
  moduleId: string;
  body: Buffer;
  /** decoded property bag, including system properties such as '$.ifid', '$.ct', '$.ce' */
  properties: Record<string, string>;
  receivedAt: number;
  size: number;
}

const DEFAULT_WAIT_MS = 5_000;
// Bounds memory when the hub runs for hours under `demo`; tests never come close.
const MAX_CAPTURED = 10_000;

export class SimulatedHub extends EventEmitter {
  readonly host: string;
  readonly hubName: string;
  readonly caPem: string;
  readonly caFile: string;

  private currentPort = 0;
  private broker: Aedes | undefined;
  private server: tls.Server | undefined;
  private readonly sockets = new Set<tls.TLSSocket>();
  private readonly clients = new Map<string, Client>();
  private readonly captured: CapturedMessage[] = [];
  private readonly identities: ModuleIdentities;
  private readonly twins: TwinService;
  private readonly methods: DirectMethods;
  private readonly waiters = new Set<(err: Error) => void>();
  private refusing = false;
  private endpoint: ServiceEndpoint | undefined;
  /** the service API without HTTP (registry, queries, twins), for tests and the web console */
  readonly service: HubService;
  readonly servicePolicyKey = randomBytes(32).toString('base64');
  private readonly webConsole: WebConsole;
  private stopping: Promise<void> | undefined;

  static async start(options: SimHubOptions = {}): Promise<SimulatedHub> {
    const tokenProblem = options.consoleToken === undefined ? undefined : consoleTokenProblem(options.consoleToken);
    if (tokenProblem) throw new Error(tokenProblem);
    const tempDir = options.stateDir === undefined ? await mkdtemp(join(tmpdir(), 'sim-hub-')) : undefined;
    const certs = await loadOrCreateCertificates(options.stateDir ?? tempDir ?? '');
    const hub = new SimulatedHub(options, certs, tempDir);
    try {
      hub.broker = await hub.createBroker();
      await hub.listen(options.port ?? 0);
      hub.endpoint = await ServiceEndpoint.start({
        service: hub.service, hubName: hub.hubName, policyName: SERVICE_POLICY, policyKey: hub.servicePolicyKey,
        keyPem: certs.keyPem, certPem: certs.certPem, host: hub.host, port: options.servicePort ?? 0, log: hub.log,
        onCall: (call: ServiceCall) => hub.emit('service-call', call),
        console: hub.webConsole,
      });
    } catch (err) {
      await hub.stop();
      throw err;
    }
    hub.log.info({ host: hub.host, port: hub.port, hubName: hub.hubName }, 'simulated IoT Hub listening');
    return hub;
  }

  private readonly log: Logger;

  private constructor(options: SimHubOptions, private readonly certs: HubCertificates, private readonly tempDir: string | undefined) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.hubName = options.hubName ?? 'sim-hub.azure-devices.net';
    this.log = options.log ?? silentLogger();
    this.caPem = certs.caPem;
    this.caFile = certs.caFile;
    this.identities = new ModuleIdentities((deviceId, moduleId, key) =>
      `HostName=${this.hubName};DeviceId=${deviceId};ModuleId=${moduleId};SharedAccessKey=${key};GatewayHostName=localhost:${this.port}`,
      (change) => this.emit('identity', change));
    this.twins = new TwinService(new TwinStore(), this.log, (address, patch) => this.emit('reported', { ...address, patch }),
      (address, patch) => this.emit('desired', { ...address, patch }));
    this.methods = new DirectMethods(this.log);
    this.service = new HubService({
      identities: this.identities, twins: this.twins.store, events: this,
      patchDesired: (address, patch) => this.patchDesired(address.deviceId, address.moduleId, patch),
      ...(options.servicePageSize === undefined ? {} : { maxPageSize: options.servicePageSize }),
    });
    this.webConsole = createHubConsole({ hub: this, identities: this.identities, token: options.consoleToken, log: this.log });
  }

  /** The web console with its access token; the certificate names localhost, so that is the host the browser must use. */
  get consoleUrl(): string {
    return `https://localhost:${this.servicePort}/console/?token=${this.webConsole.token}`;
  }

  get servicePort(): number {
    return this.endpoint?.port ?? 0;
  }

  /** HostName is the hub's name (the SAS resource); GatewayHostName says where the service API really listens. */
  get serviceConnectionString(): string {
    return `HostName=${this.hubName};SharedAccessKeyName=${SERVICE_POLICY};SharedAccessKey=${this.servicePolicyKey}`
      + `;GatewayHostName=localhost:${this.servicePort}`;
  }

  /** The next `count` service API requests get 429 with Retry-After: retryAfterSeconds. */
  throttleService(count: number, retryAfterSeconds = 1): void {
    this.endpoint?.throttle(count, retryAfterSeconds);
  }

  get port(): number {
    return this.currentPort;
  }

  createModule(deviceId: string, moduleId: string = DEFAULT_MODULE_ID): ModuleIdentity {
    const identity = this.identities.create(deviceId, moduleId);
    this.twins.store.ensure(moduleKey(deviceId, moduleId));
    return identity;
  }

  setModuleKey(deviceId: string, moduleId: string, key: string): void {
    this.identities.setKey(deviceId, moduleId, key);
  }

  messages(filter: { deviceId?: string; moduleId?: string } = {}): CapturedMessage[] {
    return this.captured.filter((m) =>
      (filter.deviceId === undefined || m.deviceId === filter.deviceId)
      && (filter.moduleId === undefined || m.moduleId === filter.moduleId));
  }

  waitForMessage(predicate: (m: CapturedMessage) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<CapturedMessage> {
    const already = this.captured.find(predicate);
    if (already) return Promise.resolve(already);
    return this.waitForEvent<CapturedMessage, CapturedMessage>('message', (m: CapturedMessage) => (predicate(m) ? m : undefined),
      timeoutMs, 'a matching message');
  }

  getTwin(deviceId: string, moduleId: string): TwinDocument {
    return this.twins.store.get(moduleKey(deviceId, moduleId));
  }

  patchDesired(deviceId: string, moduleId: string, patch: Record<string, unknown>): number {
    return this.twins.patchDesired({ deviceId, moduleId }, patch, this.clients.get(moduleKey(deviceId, moduleId)));
  }

  /** Fault hook: stores `patch` like patchDesired, but the push that reaches the module carries `rawBody` (e.g. not JSON). */
  patchDesiredWithRawPush(deviceId: string, moduleId: string, patch: Record<string, unknown>, rawBody: string): number {
    return this.twins.patchDesired({ deviceId, moduleId }, patch, this.clients.get(moduleKey(deviceId, moduleId)), rawBody);
  }

  waitForReported(
    deviceId: string, moduleId: string, predicate: (reported: Record<string, unknown>) => boolean, timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<Record<string, unknown>> {
    let current: Record<string, unknown>;
    try {
      current = this.getTwin(deviceId, moduleId).reported;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (predicate(current)) return Promise.resolve(current);
    return this.waitForEvent<ModuleAddress, Record<string, unknown>>('reported', (e: ModuleAddress) => {
      if (e.deviceId !== deviceId || e.moduleId !== moduleId) return undefined;
      const reported = this.getTwin(deviceId, moduleId).reported;
      return predicate(reported) ? reported : undefined;
    }, timeoutMs, `reported properties of ${deviceId}/${moduleId} to match`);
  }

  /** Calls a direct method on a connected module; resolves with the module's status and JSON payload. */
  invokeMethod(deviceId: string, moduleId: string, methodName: string, payload?: unknown, timeoutMs = DEFAULT_WAIT_MS): Promise<MethodResult> {
    return this.methods.invoke(this.clients.get(moduleKey(deviceId, moduleId)), methodName, payload, timeoutMs);
  }

  connectedClients(): string[] {
    return [...this.clients.keys()];
  }

  dropAllConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  refuseAuth(on: boolean): void {
    this.refusing = on;
  }

  throttleTwin(count: number): void {
    this.twins.throttle(count);
  }

  sendRawTwinResponse(deviceId: string, moduleId: string, body: string): void {
    this.twins.queueRawGetResponse({ deviceId, moduleId }, body);
  }

  /** Closes every connection and the listener, then listens again on the same port; sessions survive unless emptySessions. */
  async restart(options: { emptySessions?: boolean } = {}): Promise<void> {
    if (this.stopping) throw new Error('the simulated hub is stopped');
    await this.closeListener();
    if (options.emptySessions) {
      // aedes keeps sessions in the broker's memory persistence, so a fresh broker has none.
      const old = this.broker;
      this.broker = await this.createBroker();
      if (old) await closeBroker(old);
    }
    await this.listen(this.port);
    this.log.info({ port: this.port, emptySessions: options.emptySessions === true }, 'simulated IoT Hub restarted');
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.webConsole.close();
      await this.closeListener();
      await this.endpoint?.stop();
      if (this.broker) await closeBroker(this.broker);
      this.broker = undefined;
      const stopped = new Error('the simulated hub stopped');
      for (const reject of this.waiters) reject(stopped);
      this.waiters.clear();
      this.methods.cancelAll(stopped.message);
      if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  private createBroker(): Promise<Aedes> {
    return createHubBroker({
      hubName: this.hubName,
      log: this.log,
      refusingAuth: () => this.refusing,
      lookupKey: ({ deviceId, moduleId }) => this.identities.keyOf(deviceId, moduleId),
      telemetry: (address, body, properties) => this.capture(address, body, properties),
      twinGet: (client, address, rid) => this.twins.handleGet(client, address, rid),
      reportedPatch: (client, address, rid, body) => this.twins.handleReportedPatch(client, address, rid, body),
      methodResponse: (_address, rid, status, body) => this.methods.response(rid, status, body),
      connected: (client) => {
        this.clients.set(client.id, client);
        this.emit('connect', addressOf(client));
      },
      disconnected: (client) => {
        if (this.clients.get(client.id) === client) this.clients.delete(client.id);
        this.emit('disconnect', addressOf(client));
      },
    });
  }

  private capture(address: ModuleAddress, body: Buffer, properties: Record<string, string>): void {
    const message: CapturedMessage = {
      ...address, body: Buffer.from(body), properties, receivedAt: Date.now(), size: messageSize(body, properties),
    };
    this.captured.push(message);
    if (this.captured.length > MAX_CAPTURED) this.captured.shift();
    this.emit('message', message);
  }

  private async listen(port: number): Promise<void> {
    const server = tls.createServer({ key: this.certs.keyPem, cert: this.certs.certPem, minVersion: 'TLSv1.2' }, (socket) => {
      this.sockets.add(socket);
      // Small request/answer packets: Nagle would add ~40 ms to every twin round trip.
      socket.setNoDelay(true);
      socket.on('close', () => this.sockets.delete(socket));
      if (this.broker) this.broker.handle(socket);
      else socket.destroy();
    });
    server.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.warn({ err: err.message }, 'listener error'));
    this.server = server;
    this.currentPort = (server.address() as AddressInfo).port;
  }

  private async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropAllConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private waitForEvent<A, T>(event: string, check: (arg: A) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return waitForEvent(this, this.waiters, event, check, timeoutMs, what);
  }

}

function closeBroker(broker: Aedes): Promise<void> {
  return new Promise((resolve) => broker.close(() => resolve()));
}
