/** The HTTPS routing of the simulated hub's service API: policy SAS check, throttling, JSON in and out. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { HubService } from './hub-service.js';
import { parseSasToken, signatureMatches } from './sas-auth.js';
import { ServiceError, errorBody } from './service-documents.js';

/** Bulk calls carry up to 100 identities with desired properties; far above that is not a request we serve. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type ServiceOperation = 'bulk' | 'query' | 'device' | 'module' | 'twin';

export interface ServiceCall {
  method: string;
  operation: ServiceOperation | 'unknown';
  status: number;
}

export interface ServiceHttpOptions {
  service: HubService;
  hubName: string;
  policyName: string;
  policyKey: string;
  keyPem: string;
  certPem: string;
  host: string;
  port: number;
  log: Logger;
  onCall(call: ServiceCall): void;
  /** Another handler for some paths (the web console under /console); the service API never sees those requests. */
  console?: { owns(rawUrl: string | undefined): boolean; handle(req: IncomingMessage, res: ServerResponse): void };
}

interface Route {
  operation: ServiceOperation;
  status?: number | ((result: unknown) => number);
  run(): unknown;
  etag?: (result: unknown) => string | undefined;
  headers?: Record<string, string>;
}

export class ServiceEndpoint {
  private throttledRequests = 0;
  private retryAfterSeconds = 1;

  private constructor(private readonly options: ServiceHttpOptions, private readonly server: https.Server) {}

  static async start(options: ServiceHttpOptions): Promise<ServiceEndpoint> {
    let endpoint: ServiceEndpoint | undefined;
    const server = https.createServer({ key: options.keyPem, cert: options.certPem, minVersion: 'TLSv1.2' }, (req, res) => {
      if (endpoint) endpoint.handle(req, res);
      else res.destroy();
    });
    endpoint = new ServiceEndpoint(options, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => options.log.warn({ err: err.message }, 'service listener error'));
    return endpoint;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The next `count` requests are answered 429 with `Retry-After: retryAfterSeconds`, as a throttled hub does. */
  throttle(count: number, retryAfterSeconds = 1): void {
    this.throttledRequests = Math.max(0, Math.floor(count));
    this.retryAfterSeconds = Math.max(0, Math.floor(retryAfterSeconds));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.options.console?.owns(req.url)) {
      this.options.console.handle(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      let operation: ServiceOperation | 'unknown' = 'unknown';
      try {
        if (size > MAX_BODY_BYTES) throw new ServiceError(413, 'RequestEntityTooLarge', `the body is over ${MAX_BODY_BYTES} bytes`);
        this.authenticate(req.headers.authorization);
        const route = this.route(req, Buffer.concat(chunks));
        operation = route.operation;
        if (this.throttledRequests > 0) {
          this.throttledRequests--;
          throw new ServiceError(429, 'ThrottlingException', 'IoT Hub throttling: too many requests', this.retryAfterSeconds);
        }
        const result = route.run();
        const etag = route.etag?.(result);
        const status = typeof route.status === 'function' ? route.status(result) : route.status ?? 200;
        this.send(res, status, result, { ...route.headers, ...(etag ? { ETag: `"${etag}"` } : {}) }, req.method, operation);
      } catch (err) {
        if (!(err instanceof ServiceError)) {
          this.options.log.error({ err: err instanceof Error ? err.message : String(err) }, 'service request failed');
          this.send(res, 500, errorBody('ServerError', 'internal error'), {}, req.method, operation);
          return;
        }
        const headers: Record<string, string> = err.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(err.retryAfterSeconds) };
        this.send(res, err.status, errorBody(err.code, err.message), headers, req.method, operation);
      }
    });
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, method = '', operation: ServiceCall['operation']): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      ...(text === '' ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
      'Content-Length': String(Buffer.byteLength(text)),
    });
    res.end(text);
    this.options.onCall({ method, operation, status });
  }

  private authenticate(header: string | undefined): void {
    const token = header === undefined ? undefined : parseSasToken(header);
    const now = Math.floor(Date.now() / 1000);
    const ok = token !== undefined
      && token.keyName === this.options.policyName
      && token.resource.toLowerCase() === this.options.hubName.toLowerCase()
      && token.expiry > now
      && signatureMatches(token, this.options.policyKey);
    if (!ok) throw new ServiceError(401, 'IotHubUnauthorizedAccess', 'Unauthorized');
  }

  private route(req: IncomingMessage, raw: Buffer): Route {
    const url = new URL(req.url ?? '/', 'https://sim-hub');
    if (!url.searchParams.get('api-version')) throw new ServiceError(400, 'InvalidProtocolVersion', 'api-version is missing');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    } catch {
      throw new ServiceError(400, 'ArgumentInvalid', 'malformed path');
    }
    const method = req.method ?? 'GET';
    const body = (): unknown => {
      if (raw.length === 0) return undefined;
      try {
        return JSON.parse(raw.toString('utf8'));
      } catch {
        throw new ServiceError(400, 'ArgumentInvalid', 'the body is not valid JSON');
      }
    };
    const ifMatch = typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined;
    const service = this.options.service;
    const etag = (r: unknown): string | undefined => (r as { etag?: string }).etag;
    const [root, deviceId, sub, moduleId, ...rest] = parts;
    if (rest.length > 0) throw notFound();
    if (root === 'devices' && deviceId === 'query' && sub === undefined && method === 'POST') {
      const max = Number(req.headers['x-ms-max-item-count']);
      const continuation = req.headers['x-ms-continuation'];
      const headers: Record<string, string> = { 'x-ms-item-type': 'Twin' };
      const run = (): unknown => {
        const page = service.query((body() as { query?: unknown } | undefined)?.query,
          Number.isInteger(max) && max > 0 ? max : undefined, typeof continuation === 'string' && continuation !== '' ? continuation : undefined);
        if (page.continuation) headers['x-ms-continuation'] = page.continuation;
        return page.items;
      };
      return { operation: 'query', run, headers };
    }
    if (root === 'devices' && deviceId === undefined) {
      if (method === 'POST') {
        return { operation: 'bulk', run: () => service.bulk(body()), status: (r) => ((r as { isSuccessful: boolean }).isSuccessful ? 200 : 400) };
      }
      if (method === 'GET') return { operation: 'device', run: () => service.listDevices(Number(url.searchParams.get('top') ?? 1000) || 1000) };
    }
    if (root === 'devices' && deviceId !== undefined && sub === undefined) {
      if (method === 'PUT') return { operation: 'device', run: () => service.putDevice(deviceId, ifMatch), etag };
      if (method === 'GET') return { operation: 'device', run: () => service.getDevice(deviceId), etag };
      if (method === 'DELETE') return { operation: 'device', status: 204, run: () => service.deleteDevice(deviceId, ifMatch) };
    }
    if (root === 'devices' && deviceId !== undefined && sub === 'modules') {
      if (moduleId === undefined && method === 'GET') return { operation: 'module', run: () => service.listModules(deviceId) };
      if (moduleId !== undefined && method === 'PUT') return { operation: 'module', run: () => service.putModule(deviceId, moduleId, body(), ifMatch), etag };
      if (moduleId !== undefined && method === 'GET') return { operation: 'module', run: () => service.getModule(deviceId, moduleId), etag };
      if (moduleId !== undefined && method === 'DELETE') {
        return { operation: 'module', status: 204, run: () => service.deleteModule(deviceId, moduleId, ifMatch) };
      }
    }
    if (root === 'twins' && deviceId !== undefined && sub === 'modules' && moduleId !== undefined) {
      if (method === 'GET') return { operation: 'twin', run: () => service.getModuleTwin(deviceId, moduleId), etag };
      if (method === 'PATCH') return { operation: 'twin', run: () => service.patchModuleTwin(deviceId, moduleId, body(), ifMatch), etag };
    }
    throw notFound();
  }
}

function notFound(): ServiceError {
  return new ServiceError(404, 'NotFound', 'no such service operation in the simulated hub');
}
