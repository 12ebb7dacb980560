/**
 * A stand-in for IoT Edge's workload API (edged, reference edge-module.md §1.2) on a unix socket, so a
 * module can run under a simulated Edge environment: it signs SAS data with the module's key and hands out
 * the simulated hub's CA as the trust bundle. Answers only what azure-iot-device's fromEnvironment asks.
 */
import { createHmac } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { silentLogger } from '../log.js';

/** The oldest workload API version edged serves; the SDK always asks for it. */
export const WORKLOAD_API_VERSION = '2018-06-28';
const MAX_BODY_BYTES = 64 * 1024;

export interface WorkloadModule {
  moduleId: string;
  generationId: string;
  /** base64 primary key of the module identity */
  primaryKey: string;
}

export interface WorkloadApiOptions {
  socketPath: string;
  /** PEM handed out by GET /trust-bundle: what the module trusts edgeHub's certificate with. */
  trustBundle: string;
  modules: readonly WorkloadModule[];
  log?: Logger;
}

export interface WorkloadRequest {
  method: string;
  /** path with the query, as the client sent it */
  path: string;
  status: number;
}

export class WorkloadApi {
  /** Every request answered, oldest first: what the client asked and what it got. */
  readonly requests: WorkloadRequest[] = [];

  private constructor(private readonly server: Server, private readonly opts: WorkloadApiOptions) {}

  static async start(opts: WorkloadApiOptions): Promise<WorkloadApi> {
    await rm(opts.socketPath, { force: true });
    const server = createServer();
    const api = new WorkloadApi(server, opts);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => api.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.socketPath, () => resolve());
    });
    return api;
  }

  /** The IOTEDGE_WORKLOADURI value that points here. */
  get uri(): string {
    return `unix://${this.opts.socketPath}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.opts.socketPath, { force: true });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const reply = (status: number, body: Record<string, unknown>): void => {
      this.requests.push({ method: req.method ?? '', path, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const url = new URL(path, 'http://workload');
    const version = url.searchParams.get('api-version');
    if (version === null || !/^\d{4}-\d{2}-\d{2}$/.test(version) || version < WORKLOAD_API_VERSION) {
      return reply(400, { message: `missing or unsupported api-version ${JSON.stringify(version)}` });
    }
    if (req.method === 'GET' && url.pathname === '/trust-bundle') return reply(200, { certificate: this.opts.trustBundle });
    const sign = /^\/modules\/([^/]+)\/genid\/([^/]+)\/sign$/.exec(url.pathname);
    if (req.method !== 'POST' || !sign) return reply(404, { message: `no such workload API operation: ${req.method ?? ''} ${url.pathname}` });
    const moduleId = decodeURIComponent(sign[1] ?? '');
    const generationId = decodeURIComponent(sign[2] ?? '');
    const module = this.opts.modules.find((m) => m.moduleId === moduleId && m.generationId === generationId);
    readJson(req).then((body) => {
      if (!module) return reply(404, { message: `module ${moduleId} with generation ${generationId} not found` });
      const { keyId, algo, data } = body;
      if (keyId !== 'primary' || algo !== 'HMACSHA256' || typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) {
        return reply(400, { message: 'sign request must be {keyId:"primary", algo:"HMACSHA256", data:<base64>}' });
      }
      const digest = createHmac('sha256', Buffer.from(module.primaryKey, 'base64')).update(Buffer.from(data, 'base64')).digest('base64');
      reply(200, { digest });
    }, (err: unknown) => {
      (this.opts.log ?? silentLogger()).debug({ reason: String(err) }, 'workload API: bad request body');
      reply(400, { message: 'request body is not a JSON object' });
    });
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk);
  }
  const doc: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not an object');
  return doc as Record<string, unknown>;
}
