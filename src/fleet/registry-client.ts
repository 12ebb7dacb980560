/** The IoT Hub service operations the fleet commands use: paged queries, bulk registry, modules, module twins. */
import { AgentError } from '../errors.js';
import { errorText, type ServiceClient, type ServiceResponse } from './service-client.js';

/** Entries per bulk registry call: IoT Hub's cap. */
export const BULK_LIMIT = 100;
/** What we ask for per query page; the hub decides, and may answer with fewer. */
const PAGE_REQUEST = 1000;
const MAX_ETAG_RETRIES = 5;

export type Doc = Record<string, unknown>;

export interface BulkEntry {
  id: string;
  moduleId: string;
  importMode: 'create';
  /** empty keys: the hub generates them, as azure-iothub asks for */
  authentication: { type: 'sas'; symmetricKey: { primaryKey: ''; secondaryKey: '' } };
  properties?: { desired: Doc };
}

export interface BulkItemError {
  deviceId: string;
  moduleId?: string;
  errorCode: string;
  errorStatus: string;
}

export class HubRequestError extends AgentError {
  constructor(what: string, response: ServiceResponse) {
    super('HubRequestError', `${what} failed: ${errorText(response)}`, false);
  }
}

const enc = encodeURIComponent;

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class RegistryClient {
  queryPages = 0;
  bulkCalls = 0;

  constructor(readonly service: ServiceClient) {}

  /** Every page of a query, following x-ms-continuation until the hub sends none. */
  async *query(sql: string): AsyncGenerator<Doc[]> {
    let continuation: string | undefined;
    do {
      const headers: Record<string, string> = { 'x-ms-max-item-count': String(PAGE_REQUEST) };
      if (continuation) headers['x-ms-continuation'] = continuation;
      const response = await this.service.request('POST', '/devices/query', { query: sql }, headers);
      this.queryPages++;
      if (response.status !== 200 || !Array.isArray(response.body)) throw new HubRequestError(`query "${sql.slice(0, 120)}"`, response);
      const next = response.headers['x-ms-continuation'];
      continuation = typeof next === 'string' && next !== '' ? next : undefined;
      yield response.body.filter(isDoc);
    } while (continuation);
  }

  /** One bulk registry call; per-item errors come back on HTTP 400 with a BulkRegistryOperationResult. */
  async bulk(entries: BulkEntry[]): Promise<BulkItemError[]> {
    if (entries.length === 0 || entries.length > BULK_LIMIT) throw new RangeError(`a bulk call takes 1..${BULK_LIMIT} entries`);
    const response = await this.service.request('POST', '/devices', entries);
    this.bulkCalls++;
    const body = isDoc(response.body) ? response.body : undefined;
    if (response.status === 200) return [];
    if (response.status === 400 && body && Array.isArray(body['errors'])) {
      return (body['errors'] as unknown[]).filter(isDoc).map((e) => ({
        deviceId: String(e['deviceId'] ?? ''),
        ...(typeof e['moduleId'] === 'string' ? { moduleId: e['moduleId'] } : {}),
        errorCode: String(e['errorCode'] ?? 'unknown'),
        errorStatus: String(e['errorStatus'] ?? ''),
      }));
    }
    throw new HubRequestError(`bulk registry call (${entries.length} entries)`, response);
  }

  async getModule(deviceId: string, moduleId: string): Promise<Doc | undefined> {
    return this.getOrUndefined(`/devices/${enc(deviceId)}/modules/${enc(moduleId)}`, `get module ${deviceId}/${moduleId}`);
  }

  async getDevice(deviceId: string): Promise<Doc | undefined> {
    return this.getOrUndefined(`/devices/${enc(deviceId)}`, `get device ${deviceId}`);
  }

  async getModuleTwin(deviceId: string, moduleId: string): Promise<Doc | undefined> {
    return this.getOrUndefined(`/twins/${enc(deviceId)}/modules/${enc(moduleId)}`, `get module twin ${deviceId}/${moduleId}`);
  }

  /** PATCHes desired with If-Match of the twin just read; a 412 (someone else changed it) reads and tries again. */
  async patchDesired(deviceId: string, moduleId: string, desired: Doc): Promise<Doc> {
    const path = `/twins/${enc(deviceId)}/modules/${enc(moduleId)}`;
    for (let attempt = 0; ; attempt++) {
      const twin = await this.getModuleTwin(deviceId, moduleId);
      if (!twin) throw new AgentError('ModuleNotFoundError', `module ${moduleId} does not exist on ${deviceId}`, false);
      const etag = typeof twin['etag'] === 'string' ? twin['etag'] : '*';
      const response = await this.service.request('PATCH', path, { properties: { desired } }, { 'If-Match': `"${etag}"` });
      if (response.status === 200 && isDoc(response.body)) return response.body;
      if (response.status !== 412 || attempt + 1 >= MAX_ETAG_RETRIES) throw new HubRequestError(`update twin ${deviceId}/${moduleId}`, response);
    }
  }

  private async getOrUndefined(path: string, what: string): Promise<Doc | undefined> {
    const response = await this.service.request('GET', path);
    if (response.status === 404) return undefined;
    if (response.status !== 200 || !isDoc(response.body)) throw new HubRequestError(what, response);
    return response.body;
  }
}

/** A string literal of IoT Hub's query language. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
