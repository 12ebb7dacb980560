/** Answers twin requests over MQTT (GET, reported PATCH), pushes desired patches, and injects twin faults. */
import type { Client } from 'aedes';
import type { Logger } from 'pino';
import { deliverTo } from './hub-broker.js';
import { desiredPatchTopic, errorBody, twinResponseTopic } from './mqtt-dialect.js';
import { moduleKey } from './module-identities.js';
import type { ModuleAddress } from './sas-auth.js';
import { TwinStore, TwinUpdateError } from './twin-store.js';

const EMPTY = Buffer.alloc(0);

export class TwinService {
  private throttledRequests = 0;
  private readonly rawGetResponses = new Map<string, string[]>();

  constructor(
    readonly store: TwinStore,
    private readonly log: Logger,
    private readonly onReported: (address: ModuleAddress, patch: Record<string, unknown>) => void,
    private readonly onDesired: (address: ModuleAddress, patch: Record<string, unknown>) => void = () => undefined,
  ) {}

  throttle(count: number): void {
    this.throttledRequests = Math.max(0, Math.floor(count));
  }

  queueRawGetResponse(address: ModuleAddress, body: string): void {
    const id = moduleKey(address.deviceId, address.moduleId);
    const queue = this.rawGetResponses.get(id) ?? [];
    queue.push(body);
    this.rawGetResponses.set(id, queue);
  }

  handleGet(client: Client, address: ModuleAddress, rid: string): void {
    if (this.answerThrottled(client, rid)) return;
    const id = moduleKey(address.deviceId, address.moduleId);
    const raw = this.rawGetResponses.get(id)?.shift();
    if (raw !== undefined) {
      deliverTo(client, twinResponseTopic(200, rid), raw, this.log);
      return;
    }
    deliverTo(client, twinResponseTopic(200, rid), JSON.stringify(this.store.get(id)), this.log);
  }

  handleReportedPatch(client: Client, address: ModuleAddress, rid: string, body: Buffer): void {
    if (this.answerThrottled(client, rid)) return;
    let patch: unknown;
    try {
      patch = JSON.parse(body.toString('utf8'));
    } catch {
      deliverTo(client, twinResponseTopic(400, rid), errorBody(400006, 'reported patch is not valid JSON'), this.log);
      return;
    }
    try {
      const version = this.store.apply(moduleKey(address.deviceId, address.moduleId), 'reported', patch);
      deliverTo(client, twinResponseTopic(204, rid, version), EMPTY, this.log);
      this.onReported(address, patch as Record<string, unknown>);
    } catch (err) {
      if (!(err instanceof TwinUpdateError)) throw err;
      this.log.info({ module: moduleKey(address.deviceId, address.moduleId), err: err.message }, 'reported patch rejected');
      deliverTo(client, twinResponseTopic(err.status, rid), errorBody(err.errorCode, err.message), this.log);
    }
  }

  /** Applies a desired patch and pushes it, with its `$version`, to the module if it is connected and subscribed. */
  patchDesired(address: ModuleAddress, patch: Record<string, unknown>, client: Client | undefined, rawBody?: string): number {
    const version = this.store.apply(moduleKey(address.deviceId, address.moduleId), 'desired', patch);
    // Like IoT Hub, a module that is offline or unsubscribed misses the push and must GET the twin later.
    if (client) deliverTo(client, desiredPatchTopic(version), rawBody ?? JSON.stringify({ ...patch, $version: version }), this.log);
    this.onDesired(address, patch);
    return version;
  }

  private answerThrottled(client: Client, rid: string): boolean {
    if (this.throttledRequests <= 0) return false;
    this.throttledRequests--;
    deliverTo(client, twinResponseTopic(429, rid), errorBody(429001, 'IoT Hub throttling: too many twin requests'), this.log);
    return true;
  }
}
