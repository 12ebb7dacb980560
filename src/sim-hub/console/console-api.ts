/** The console's JSON API (contract: README.md in this folder): devices, module identities, twins, validation, messages. */
import { twinSchema, validateDesiredDocument } from '../../config/index.js';
import { errorMessage } from '../../errors.js';
import type { HubService } from '../hub-service.js';
import { DEFAULT_MODULE_ID } from '../module-identities.js';
import { NEVER, ServiceError } from '../service-documents.js';
import { isPlainObject } from '../twin-store.js';
import type { ConsoleMessages } from './console-messages.js';

/** What the API needs of the hub; the wiring (hub-console.ts) supplies it. */
export interface ConsoleHubView {
  service: HubService;
  /** every device id, in registry order */
  deviceIds(): Iterable<string>;
  /** a registry lookup, without building the module's documents */
  hasModule(deviceId: string, moduleId: string): boolean;
  connectionString(deviceId: string, moduleId: string): string | undefined;
  /** the fleet command's create-module on every device that lacks the agent's module */
  addAgentModules(): Promise<{ created: number; alreadyHad: number; failed: unknown[] }>;
  messages: ConsoleMessages;
}

export interface ApiRequest {
  method: string;
  /** path segments after /console/api/, percent-decoded */
  parts: string[];
  query: URLSearchParams;
  /** the parsed JSON body (undefined when empty); throws a 400 ApiError when it is not JSON */
  body(): unknown;
}

export interface ApiAnswer {
  status: number;
  body?: unknown;
}

/** A user-facing API failure: status and one line. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Doc = Record<string, unknown>;

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new ApiError(400, `${name} must be a whole number from ${min} to ${max}`);
  return value;
}

function activity(doc: Doc): { connectionState: string; lastActivityTime: string | null } {
  const last = doc['lastActivityTime'];
  return {
    connectionState: doc['connectionState'] === 'Connected' ? 'Connected' : 'Disconnected',
    lastActivityTime: typeof last === 'string' && last !== NEVER ? last : null,
  };
}

/** The schema's keys with what an editor needs for completion and hints. */
export function twinSchemaKeys(): Doc[] {
  return Object.entries(twinSchema().schema.properties).map(([name, p]) => ({
    name, type: p.type, default: p.default,
    ...(p.minimum === undefined ? {} : { minimum: p.minimum }),
    ...(p.maximum === undefined ? {} : { maximum: p.maximum }),
    ...(p.enum === undefined ? {} : { enum: p.enum }),
    ...(p.pattern === undefined ? {} : { pattern: p.pattern }),
    ...(p.description === undefined ? {} : { description: p.description }),
  }));
}

export class ConsoleApi {
  constructor(private readonly hub: ConsoleHubView) {}

  async answer(req: ApiRequest): Promise<ApiAnswer> {
    const { method, parts } = req;
    const [root, deviceId, sub, moduleId, leaf, leaf2, ...rest] = parts;
    if (rest.length > 0) throw notFound();
    const service = this.hub.service;
    if (root === 'devices' && deviceId === undefined && method === 'GET') return { status: 200, body: this.devices(req.query) };
    if (root === 'devices' && deviceId !== undefined && sub === 'modules') {
      if (moduleId === undefined) {
        if (method !== 'GET') throw notAllowed();
        return { status: 200, body: { items: service.listModules(deviceId).map((m) => ({ moduleId: m['moduleId'], ...activity(m) })) } };
      }
      if (leaf === undefined) {
        if (method === 'PUT') return this.addModule(deviceId, moduleId);
        if (method === 'DELETE') {
          service.deleteModule(deviceId, moduleId, undefined);
          return { status: 204 };
        }
        throw notAllowed();
      }
      if (leaf === 'connection-string' && leaf2 === undefined && method === 'GET') {
        service.getModule(deviceId, moduleId);
        return { status: 200, body: { connectionString: this.hub.connectionString(deviceId, moduleId) } };
      }
      if (leaf === 'twin' && leaf2 === undefined && method === 'GET') return { status: 200, body: service.getModuleTwin(deviceId, moduleId) };
      if (leaf === 'twin' && leaf2 === 'desired' && method === 'PATCH') {
        const patch = req.body();
        if (!isPlainObject(patch)) throw new ApiError(400, 'the body must be a JSON object of desired properties');
        return { status: 200, body: service.patchModuleTwin(deviceId, moduleId, { properties: { desired: patch } }, undefined) };
      }
      throw notFound();
    }
    if (parts.length === 1 && root === 'agent-modules' && method === 'POST') {
      const result = await this.hub.addAgentModules().catch((err: unknown) => {
        throw new ApiError(502, `adding the module failed: ${errorMessage(err)}`);
      });
      return { status: 200, body: { added: result.created, alreadyHad: result.alreadyHad, failed: result.failed.length } };
    }
    if (parts.length === 1 && root === 'twin-schema' && method === 'GET') {
      return { status: 200, body: { schema: twinSchema().schema, keys: twinSchemaKeys() } };
    }
    if (parts.length === 1 && root === 'validate-desired' && method === 'POST') return { status: 200, body: validate(req.body()) };
    if (parts.length === 1 && root === 'messages' && method === 'GET') {
      const limit = intParam(req.query, 'limit', 100, 1, 500);
      const event = req.query.get('event');
      return { status: 200, body: { items: this.hub.messages.list(limit, event === null || event === '' ? undefined : event) } };
    }
    throw notFound();
  }

  private devices(query: URLSearchParams): Doc {
    const search = (query.get('search') ?? '').trim().toLowerCase();
    const page = intParam(query, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
    const pageSize = intParam(query, 'pageSize', 20, 1, 100);
    const first = page * pageSize;
    const ids: string[] = [];
    let total = 0;
    for (const id of this.hub.deviceIds()) {
      if (search !== '' && !id.toLowerCase().includes(search)) continue;
      if (total >= first && ids.length < pageSize) ids.push(id);
      total++;
    }
    const items = ids.map((deviceId) => {
      const hasAgentModule = this.hub.hasModule(deviceId, DEFAULT_MODULE_ID);
      const doc = hasAgentModule ? this.hub.service.getModule(deviceId, DEFAULT_MODULE_ID) : this.hub.service.getDevice(deviceId);
      return { deviceId, hasAgentModule, ...activity(doc) };
    });
    return { items, total, page, pageSize };
  }

  private addModule(deviceId: string, moduleId: string): ApiAnswer {
    try {
      this.hub.service.getModule(deviceId, moduleId);
      return { status: 200, body: { moduleId, deviceId } };
    } catch (err) {
      if (!(err instanceof ServiceError) || err.code !== 'ModuleNotFound') throw err;
    }
    this.hub.service.putModule(deviceId, moduleId, undefined, undefined);
    return { status: 201, body: { moduleId, deviceId } };
  }
}

/** validate-config's own check; each invalid key once, with its reason. */
function validate(doc: unknown): Doc {
  const { validation } = validateDesiredDocument(doc);
  if (validation.valid) return { valid: true, invalidFields: [] };
  return { valid: false, invalidFields: validation.reasons.map((r) => ({ key: r.key, message: r.reason })) };
}

function notFound(): ApiError {
  return new ApiError(404, 'no such console API operation');
}

function notAllowed(): ApiError {
  return new ApiError(405, 'method not allowed here');
}
