/** The service side of the simulated hub, without HTTP: identity registry, bulk registry, queries, module twins. */
import type { EventEmitter } from 'node:events';
import { identityIdProblem, moduleKey, type IdentityRecord, type ModuleIdentities } from './module-identities.js';
import type { ModuleAddress } from './sas-auth.js';
import {
  NEVER, ServiceError, deviceJson, deviceTwinJson, etagMatches, etagOf, moduleJson, moduleTwinJson, twinEtag, type Activity,
} from './service-documents.js';
import { decodeContinuation, encodeContinuation, firstAfter } from './query-continuation.js';
import { QuerySyntaxError, parseQuery } from './service-query.js';
import { isPlainObject, TwinUpdateError, type TwinStore } from './twin-store.js';

/** Entries per bulk registry call, as on IoT Hub. */
export const BULK_LIMIT = 100;

export interface BulkItemError {
  deviceId: string;
  moduleId?: string;
  errorCode: string;
  errorStatus: string;
  operation: string;
}

export interface BulkResult {
  isSuccessful: boolean;
  errors: BulkItemError[];
  warnings: never[];
}

export interface QueryPage {
  items: Record<string, unknown>[];
  /** absent on the last page */
  continuation?: string;
}

export interface HubServiceOptions {
  identities: ModuleIdentities;
  twins: TwinStore;
  /** applies a desired patch and pushes it to the module when it is connected; returns the new version */
  patchDesired(address: ModuleAddress, patch: Record<string, unknown>): number;
  /** the hub's connect/disconnect/message/reported events, for connection state and last activity */
  events: EventEmitter;
  /** the most items a query page holds, whatever the caller asks (default 100) */
  maxPageSize?: number;
}

export class HubService {
  private readonly activity = new Map<string, Activity>();
  private readonly maxPageSize: number;

  constructor(private readonly options: HubServiceOptions) {
    this.maxPageSize = options.maxPageSize ?? 100;
    const touch = (connected?: boolean) => (a: ModuleAddress): void => {
      const key = moduleKey(a.deviceId, a.moduleId);
      const now = new Date().toISOString();
      const previous = this.activity.get(key) ?? { connected: false, lastActivityTime: NEVER, connectionStateUpdatedTime: NEVER };
      const state = connected ?? previous.connected;
      this.activity.set(key, {
        connected: state, lastActivityTime: now,
        connectionStateUpdatedTime: state === previous.connected ? previous.connectionStateUpdatedTime : now,
      });
    };
    options.events.on('connect', touch(true));
    options.events.on('disconnect', touch(false));
    options.events.on('message', touch());
    options.events.on('reported', touch());
  }

  /** Creates `count` devices named `${prefix}0001`... (skipping existing ones); returns their ids. */
  seedDevices(count: number, prefix = 'sim-device-'): string[] {
    const width = Math.max(4, String(count).length);
    const ids: string[] = [];
    for (let i = 1; i <= count; i++) {
      const id = `${prefix}${String(i).padStart(width, '0')}`;
      this.options.identities.createDevice(id);
      ids.push(id);
    }
    return ids;
  }

  putDevice(deviceId: string, ifMatch: string | undefined): Record<string, unknown> {
    this.checkId(deviceId);
    const existing = this.options.identities.device(deviceId);
    if (existing) {
      if (ifMatch === undefined) throw new ServiceError(409, 'DeviceAlreadyExists', `device ${deviceId} already exists`);
      this.checkEtag(ifMatch, etagOf(existing.generationId, existing.revision));
      existing.revision++;
      return deviceJson(existing, this.activityOf(deviceId));
    }
    return deviceJson(this.options.identities.createDevice(deviceId), this.activityOf(deviceId));
  }

  getDevice(deviceId: string): Record<string, unknown> {
    return deviceJson(this.device(deviceId), this.activityOf(deviceId));
  }

  listDevices(top: number): Record<string, unknown>[] {
    return [...this.options.identities.devices()].slice(0, top).map((d) => deviceJson(d, this.activityOf(d.deviceId)));
  }

  deleteDevice(deviceId: string, ifMatch: string | undefined): void {
    const device = this.device(deviceId);
    this.checkEtag(ifMatch, etagOf(device.generationId, device.revision));
    for (const moduleId of this.options.identities.deleteDevice(deviceId)) this.options.twins.delete(moduleKey(deviceId, moduleId));
  }

  putModule(deviceId: string, moduleId: string, body: unknown, ifMatch: string | undefined): Record<string, unknown> {
    this.checkId(moduleId);
    this.device(deviceId);
    const existing = this.options.identities.module(deviceId, moduleId);
    if (existing) {
      if (ifMatch === undefined) throw new ServiceError(409, 'ModuleAlreadyExistsOnDevice', `module ${moduleId} already exists on ${deviceId}`);
      this.checkEtag(ifMatch, etagOf(existing.generationId, existing.revision));
      const key = requestedKey(body);
      if (key) existing.primaryKey = key;
      existing.revision++;
      return moduleJson(existing, this.activityOf(deviceId, moduleId));
    }
    this.createModuleIdentity(deviceId, moduleId, requestedKey(body));
    return moduleJson(this.module(deviceId, moduleId), this.activityOf(deviceId, moduleId));
  }

  getModule(deviceId: string, moduleId: string): Record<string, unknown> {
    return moduleJson(this.module(deviceId, moduleId), this.activityOf(deviceId, moduleId));
  }

  listModules(deviceId: string): Record<string, unknown>[] {
    this.device(deviceId);
    return this.options.identities.modulesOf(deviceId).map((m) => moduleJson(m, this.activityOf(deviceId, m.moduleId)));
  }

  deleteModule(deviceId: string, moduleId: string, ifMatch: string | undefined): void {
    const record = this.module(deviceId, moduleId);
    this.checkEtag(ifMatch, etagOf(record.generationId, record.revision));
    this.options.identities.deleteModule(deviceId, moduleId);
    this.options.twins.delete(moduleKey(deviceId, moduleId));
  }

  /** POST /devices: up to 100 ExportImportDevice entries; per-item failures are reported, the rest applied. */
  bulk(body: unknown): BulkResult {
    if (!Array.isArray(body)) throw new ServiceError(400, 'ArgumentInvalid', 'the body must be an array of ExportImportDevice');
    if (body.length === 0 || body.length > BULK_LIMIT) {
      throw new ServiceError(400, 'ArgumentInvalid', `a bulk registry call takes 1 to ${BULK_LIMIT} entries, not ${body.length}`);
    }
    const seen = new Set<string>();
    for (const item of body) {
      if (!isPlainObject(item) || typeof item['id'] !== 'string') throw new ServiceError(400, 'ArgumentInvalid', 'every entry needs a string id');
      const key = `${item['id']}/${typeof item['moduleId'] === 'string' ? item['moduleId'] : ''}`;
      if (seen.has(key)) throw new ServiceError(400, 'ArgumentInvalid', `identity ${key} appears more than once`);
      seen.add(key);
    }
    const errors: BulkItemError[] = [];
    for (const item of body as Record<string, unknown>[]) {
      const error = this.bulkItem(item);
      if (error) errors.push(error);
    }
    return { isSuccessful: errors.length === 0, errors, warnings: [] };
  }

  query(text: unknown, maxItemCount: number | undefined, continuation: string | undefined): QueryPage {
    if (typeof text !== 'string') throw new ServiceError(400, 'ArgumentInvalid', 'the body must be {"query": "SELECT ..."}');
    let parsed;
    try {
      parsed = parseQuery(text);
    } catch (err) {
      if (err instanceof QuerySyntaxError) throw new ServiceError(400, 'SqlQueryInvalid', err.message);
      throw err;
    }
    const pageSize = Math.min(this.maxPageSize, maxItemCount !== undefined && maxItemCount > 0 ? maxItemCount : this.maxPageSize);
    const after = continuation === undefined ? undefined : decodeContinuation(continuation, parsed.source);
    const keyed = parsed.source === 'devices'
      ? [...this.options.identities.devices()].map((d) => ({ key: d.deviceId, record: d }))
      : [...this.options.identities.allModules()].map((m) => ({ key: moduleKey(m.deviceId, m.moduleId ?? ''), record: m }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const items: Record<string, unknown>[] = [];
    let last: string | undefined;
    let more = false;
    for (let i = after === undefined ? 0 : firstAfter(keyed, after); i < keyed.length; i++) {
      const { key, record } = keyed[i] as (typeof keyed)[number];
      const doc = parsed.source === 'devices' ? deviceTwinJson(record, this.activityOf(record.deviceId)) : this.moduleTwinOf(record);
      if (!parsed.matches(doc)) continue;
      if (items.length === pageSize) { more = true; break; }
      items.push(doc);
      last = key;
    }
    return more && last !== undefined ? { items, continuation: encodeContinuation(parsed.source, last) } : { items };
  }

  getModuleTwin(deviceId: string, moduleId: string): Record<string, unknown> {
    return this.moduleTwinOf(this.module(deviceId, moduleId));
  }

  /** PATCH /twins/{d}/modules/{m}: merges `properties.desired` (and pushes it) when If-Match matches the twin's etag. */
  patchModuleTwin(deviceId: string, moduleId: string, body: unknown, ifMatch: string | undefined): Record<string, unknown> {
    const record = this.module(deviceId, moduleId);
    const key = moduleKey(deviceId, moduleId);
    const etag = twinEtag(record, this.options.twins.versions(key));
    if (!etagMatches(ifMatch, etag)) throw new ServiceError(412, 'PreconditionFailed', `the twin's etag is ${etag}, not ${ifMatch ?? ''}`);
    const properties = isPlainObject(body) ? body['properties'] : undefined;
    const desired = isPlainObject(properties) ? properties['desired'] : undefined;
    if (!isPlainObject(desired)) throw new ServiceError(400, 'ArgumentInvalid', 'the patch must be {"properties": {"desired": {...}}}');
    this.applyDesired({ deviceId, moduleId }, desired);
    return this.moduleTwinOf(record);
  }

  private bulkItem(item: Record<string, unknown>): BulkItemError | undefined {
    const deviceId = item['id'] as string;
    const moduleId = typeof item['moduleId'] === 'string' ? item['moduleId'] : undefined;
    const operation = typeof item['importMode'] === 'string' ? item['importMode'] : 'createOrUpdate';
    const fail = (errorCode: string, errorStatus: string): BulkItemError =>
      ({ deviceId, ...(moduleId === undefined ? {} : { moduleId }), errorCode, errorStatus, operation });
    try {
      const ifMatch = typeof item['eTag'] === 'string' ? item['eTag'] : undefined;
      const mode = operation.toLowerCase();
      if (mode === 'create' && moduleId !== undefined) {
        this.checkId(moduleId);
        if (!this.options.identities.device(deviceId)) return fail('DeviceNotFound', `device ${deviceId} does not exist`);
        if (this.options.identities.module(deviceId, moduleId)) return fail('ModuleAlreadyExistsOnDevice', `module ${moduleId} already exists on ${deviceId}`);
        this.createModuleIdentity(deviceId, moduleId, requestedKey(item));
        this.seedDesired({ deviceId, moduleId }, item);
      } else if (mode === 'create') {
        if (this.options.identities.device(deviceId)) return fail('DeviceAlreadyExists', `device ${deviceId} already exists`);
        this.putDevice(deviceId, undefined);
      } else if (mode === 'delete' || mode === 'deleteifmatchetag') {
        const match = mode === 'delete' ? undefined : ifMatch;
        if (moduleId === undefined) this.deleteDevice(deviceId, match);
        else this.deleteModule(deviceId, moduleId, match);
      } else if (mode === 'update' || mode === 'updateifmatchetag' || mode === 'createorupdate') {
        const match = mode === 'updateifmatchetag' ? ifMatch : '*';
        if (moduleId === undefined) this.putDevice(deviceId, this.options.identities.device(deviceId) ? match : undefined);
        else this.putModule(deviceId, moduleId, item, this.options.identities.module(deviceId, moduleId) ? match : undefined);
      } else {
        return fail('ArgumentInvalid', `importMode '${operation}' is not supported by the simulated hub`);
      }
      return undefined;
    } catch (err) {
      if (err instanceof ServiceError) return fail(err.code, err.message);
      throw err;
    }
  }

  private seedDesired(address: ModuleAddress, item: Record<string, unknown>): void {
    const properties = item['properties'];
    const desired = isPlainObject(properties) ? properties['desired'] : undefined;
    if (isPlainObject(desired)) this.applyDesired(address, desired);
  }

  private applyDesired(address: ModuleAddress, desired: Record<string, unknown>): void {
    try {
      this.options.patchDesired(address, desired);
    } catch (err) {
      if (err instanceof TwinUpdateError) throw new ServiceError(400, 'ArgumentInvalid', err.message);
      throw err;
    }
  }

  private createModuleIdentity(deviceId: string, moduleId: string, key: string | undefined): void {
    this.options.identities.create(deviceId, moduleId, key);
    this.options.twins.ensure(moduleKey(deviceId, moduleId));
  }

  private moduleTwinOf(record: IdentityRecord): Record<string, unknown> {
    const moduleId = record.moduleId ?? '';
    const key = moduleKey(record.deviceId, moduleId);
    return moduleTwinJson(record, this.device(record.deviceId), this.options.twins.get(key), this.options.twins.versions(key),
      this.activityOf(record.deviceId, moduleId));
  }

  private activityOf(deviceId: string, moduleId?: string): Activity {
    const found = moduleId === undefined ? undefined : this.activity.get(moduleKey(deviceId, moduleId));
    return found ?? { connected: false, lastActivityTime: NEVER, connectionStateUpdatedTime: NEVER };
  }

  private device(deviceId: string): IdentityRecord {
    const device = this.options.identities.device(deviceId);
    if (!device) throw new ServiceError(404, 'DeviceNotFound', `device ${deviceId} does not exist`);
    return device;
  }

  private module(deviceId: string, moduleId: string): IdentityRecord {
    this.device(deviceId);
    const record = this.options.identities.module(deviceId, moduleId);
    if (!record) throw new ServiceError(404, 'ModuleNotFound', `module ${moduleId} does not exist on ${deviceId}`);
    return record;
  }

  private checkId(id: string): void {
    const problem = identityIdProblem(id);
    if (problem) throw new ServiceError(400, 'ArgumentInvalid', problem);
  }

  private checkEtag(ifMatch: string | undefined, etag: string): void {
    if (!etagMatches(ifMatch, etag)) throw new ServiceError(412, 'PreconditionFailed', `the etag is ${etag}, not ${ifMatch ?? ''}`);
  }
}

function requestedKey(body: unknown): string | undefined {
  const auth = isPlainObject(body) ? body['authentication'] : undefined;
  const symmetric = isPlainObject(auth) ? auth['symmetricKey'] : undefined;
  const key = isPlainObject(symmetric) ? symmetric['primaryKey'] : undefined;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}
