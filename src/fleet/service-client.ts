/** HTTPS requests to the hub's service API: SAS auth, a deadline per call, retries on throttling and transient failures. */
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { backoffDelay } from '../backoff.js';
import { AgentError, UserInputError } from '../errors.js';
import { serviceToken, type ServiceConnection } from './service-connection.js';

export const API_VERSION = '2021-04-12';

export interface ServiceResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface ServiceClientOptions {
  connection: ServiceConnection;
  /** PEM of a private CA (--trusted-ca-file); added to the system roots and NODE_EXTRA_CA_CERTS */
  trustedCa?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** told before every wait caused by the hub's throttling */
  onThrottled?: (waitMs: number) => void;
}

export interface ServiceCallStats {
  calls: number;
  throttled: number;
  waitedMs: number;
}

/** The hub refused the service credentials: a user error (exit 2), never retried. */
export class ServiceAuthError extends UserInputError {}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/** Network failures worth another try; anything else (a certificate the CA does not vouch for, no such host) is final. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'ENETUNREACH', 'EHOSTUNREACH']);

function isTransient(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === undefined ? /no answer within|socket hang up/.test(err.message) : TRANSIENT_CODES.has(code);
}

function permanentFailure(err: Error, where: string): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SIGNATURE|ALTNAME|SELF_SIGNED|ISSUER/.test(code)) {
    return new UserInputError(`cannot verify the TLS certificate of ${where} (${code}): pass --trusted-ca-file FILE or set NODE_EXTRA_CA_CERTS for a private CA`);
  }
  if (code === 'ENOTFOUND') return new UserInputError(`cannot resolve the hub's host name in ${where}: check HostName (or GatewayHostName)`);
  return new AgentError('HubUnreachableError', `cannot reach the hub at ${where}: ${err.message}`, false);
}
const BACKOFF = { initialMs: 1_000, maxMs: 60_000 };

export class ServiceClient {
  readonly stats: ServiceCallStats = { calls: 0, throttled: 0, waitedMs: 0 };
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ServiceClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 8, ...(options.trustedCa ? { ca: trustedRoots(options.trustedCa) } : {}) });
  }

  get hubName(): string {
    return this.options.connection.hubName;
  }

  /** `path` without the api-version; retried on 429 (honouring Retry-After), 5xx and network errors. */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ServiceResponse> {
    for (let attempt = 0; ; attempt++) {
      let response: ServiceResponse | undefined;
      let failure: Error | undefined;
      try {
        response = await this.once(method, path, body, headers);
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
        if (!isTransient(failure)) throw permanentFailure(failure, this.where());
      }
      if (response && (response.status === 401 || response.status === 403)) {
        throw new ServiceAuthError(`the hub ${this.hubName} refused the service credentials (HTTP ${response.status}${errorCodeOf(response.body)}): `
          + 'check SharedAccessKeyName and SharedAccessKey, and that the policy has registry write and service connect');
      }
      if (response && !RETRYABLE_STATUS.has(response.status)) return response;
      if (attempt + 1 >= this.maxAttempts) {
        if (response) return response;
        throw new AgentError('HubUnreachableError', `cannot reach the hub at ${this.where()}: ${failure?.message ?? 'no answer'}`, true);
      }
      const retryAfter = response?.status === 429 ? retryAfterMs(response.headers['retry-after']) : undefined;
      const wait = retryAfter ?? backoffDelay(attempt, { ...BACKOFF, ...(this.options.random ? { random: this.options.random } : {}) });
      if (response?.status === 429) {
        this.stats.throttled++;
        this.options.onThrottled?.(wait);
      }
      this.stats.waitedMs += wait;
      await this.sleep(wait);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private where(): string {
    return `${this.options.connection.host}:${this.options.connection.port}`;
  }

  private once(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<ServiceResponse> {
    this.stats.calls++;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const separator = path.includes('?') ? '&' : '?';
    return new Promise<ServiceResponse>((resolve, reject) => {
      const req = https.request({
        host: this.options.connection.host,
        port: this.options.connection.port,
        method,
        path: `${path}${separator}api-version=${API_VERSION}`,
        agent: this.agent,
        timeout: this.timeoutMs,
        headers: {
          Authorization: serviceToken(this.options.connection),
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(payload.length) } : {}),
          ...headers,
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // a proxy's HTML error page stays text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function trustedRoots(extraPem: string): string[] {
  const roots = [...tls.rootCertificates, extraPem];
  // Passing `ca` replaces Node's defaults, which include NODE_EXTRA_CA_CERTS: keep honouring it.
  const envFile = process.env['NODE_EXTRA_CA_CERTS'];
  if (envFile) {
    try {
      roots.push(readFileSync(envFile, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS
    }
  }
  return roots;
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 600) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - Date.now()), 600_000);
}

/** `: <code>` from IoT Hub's error body (`Message: "ErrorCode:<code>;..."`), or ''. */
export function errorCodeOf(body: unknown): string {
  const message = typeof body === 'object' && body !== null ? (body as { Message?: unknown }).Message : undefined;
  const m = typeof message === 'string' ? /ErrorCode:([^;]+)/.exec(message) : null;
  return m?.[1] ? `: ${m[1]}` : '';
}

/** The human part of IoT Hub's error body, or the HTTP status. */
export function errorText(response: ServiceResponse): string {
  const message = typeof response.body === 'object' && response.body !== null ? (response.body as { Message?: unknown }).Message : undefined;
  if (typeof message === 'string') return message.replace(/^ErrorCode:/, '');
  return `HTTP ${response.status}`;
}
