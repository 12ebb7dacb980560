/** The web console under /console on the service port: access check, then pages, the JSON API or the event stream. */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage } from '../../errors.js';
import { packageFile } from '../../package-root.js';
import type { IdentityChange } from '../module-identities.js';
import type { ModuleAddress } from '../sas-auth.js';
import { ServiceError } from '../service-documents.js';
import type { CapturedMessage } from '../simulated-hub.js';
import type { TwinDocument } from '../twin-store.js';
import { CONSOLE_PATH, ConsoleAccess, newConsoleToken, sendJson, sendText } from './console-access.js';
import { ApiError, ConsoleApi, type ConsoleHubView } from './console-api.js';
import { ConsoleEvents } from './console-events.js';
import { ConsoleMessages } from './console-messages.js';
import { ConsoleStatic } from './console-static.js';

/** A desired patch is at most 32 KB on the hub; a body far above that is not a console request. */
const MAX_BODY_BYTES = 256 * 1024;

export interface WebConsoleOptions {
  /** default: 32 random bytes, base64url */
  token?: string;
  /** the pages' folder; default `console/` in the package */
  root?: string;
  view: Omit<ConsoleHubView, 'messages'>;
  /** the hub's message, reported, desired, connect, disconnect and identity events */
  events: EventEmitter;
  twin(deviceId: string, moduleId: string): TwinDocument;
  log: Logger;
}

/** True for the paths the console owns, decided on the raw request path so a '..' in it is refused here, not routed elsewhere. */
export function isConsolePath(rawUrl: string | undefined): boolean {
  const path = (rawUrl ?? '').split('?')[0] ?? '';
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

export class WebConsole {
  readonly access: ConsoleAccess;
  private readonly messages = new ConsoleMessages();
  private readonly sse = new ConsoleEvents();
  private readonly api: ConsoleApi;
  private readonly files: ConsoleStatic;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: WebConsoleOptions) {
    this.access = new ConsoleAccess(options.token ?? newConsoleToken());
    this.api = new ConsoleApi({ ...options.view, messages: this.messages });
    this.files = new ConsoleStatic(options.root ?? packageFile('console'));
    const twin = (a: ModuleAddress): void => this.sendTwin(a);
    const connection = (connectionState: string) => (a: ModuleAddress): void => this.sse.send('connection', { ...address(a), connectionState });
    const on = <A>(event: string, listener: (arg: A) => void): void => {
      options.events.on(event, listener);
      this.unsubscribe.push(() => options.events.off(event, listener));
    };
    on('message', (m: CapturedMessage) => {
      const entry = this.messages.add(m);
      if (this.sse.openStreams > 0) this.sse.send('message', this.messages.view(entry));
    });
    on('reported', twin);
    on('desired', twin);
    on('connect', connection('Connected'));
    on('disconnect', connection('Disconnected'));
    on('identity', (c: IdentityChange) => this.sse.send('identity', { deviceId: c.deviceId, moduleId: c.moduleId, change: c.change }));
  }

  /** Whether a request is the console's (the service endpoint asks before it reads anything). */
  owns(rawUrl: string | undefined): boolean {
    return isConsolePath(rawUrl);
  }

  get token(): string {
    return this.access.token;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((err: unknown) => {
      this.options.log.error({ err: errorMessage(err) }, 'console request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  }

  /** Ends the event streams and stops listening to the hub. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.sse.close();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = req.method ?? 'GET';
    // The hub may listen on every interface for devices (--host 0.0.0.0); the console stays on this machine.
    if (!isLoopback(req.socket.remoteAddress)) {
      req.resume();
      sendText(res, 403, 'the console answers only on this machine (loopback)\n');
      return;
    }
    const credential = this.access.check(req, url);
    if (credential === undefined) {
      req.resume();
      sendText(res, 401, 'the console needs its access token: open the URL the simulated hub printed at start\n');
      return;
    }
    // The URL parser resolved any '..': what is left must still be under /console.
    if (!isConsolePath(url.pathname)) {
      req.resume();
      sendText(res, 404, 'not found\n');
      return;
    }
    const rest = url.pathname.slice(CONSOLE_PATH.length + 1);
    if (url.pathname === CONSOLE_PATH) {
      req.resume();
      sendText(res, 302, 'see /console/\n', { Location: `${CONSOLE_PATH}/${url.search}` });
    } else if (rest === 'api/events') {
      req.resume();
      if (method === 'GET') this.sse.open(res);
      else sendJson(res, 405, { error: 'method not allowed here' });
    } else if (rest === 'api' || rest.startsWith('api/')) {
      await this.answerApi(req, res, method, rest.slice(4), url.searchParams);
    } else {
      req.resume();
      // The cookie lets the page drop the token from its address and still call the API.
      await this.files.serve(res, rest, method, credential === 'query' ? { 'Set-Cookie': this.access.cookie() } : {});
    }
  }

  private async answerApi(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams): Promise<void> {
    const raw = await readBody(req);
    try {
      if (raw === undefined) throw new ApiError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
      let parts: string[];
      try {
        parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
      } catch {
        throw new ApiError(400, 'malformed path');
      }
      const body = (): unknown => {
        if (raw.length === 0) return undefined;
        try {
          return JSON.parse(raw.toString('utf8')) as unknown;
        } catch {
          throw new ApiError(400, 'the body is not valid JSON');
        }
      };
      const answer = await this.api.answer({ method, parts, query, body });
      sendJson(res, answer.status, answer.body);
    } catch (err) {
      if (err instanceof ApiError || err instanceof ServiceError) sendJson(res, err.status, { error: oneLine(err.message) });
      else throw err;
    }
  }

  private sendTwin(a: ModuleAddress): void {
    let twin: TwinDocument;
    try {
      twin = this.options.twin(a.deviceId, a.moduleId);
    } catch {
      return; // deleted meanwhile: the identity event says so
    }
    this.sse.send('twin', { ...address(a), desired: twin.desired, reported: twin.reported });
  }
}

function isLoopback(remote: string | undefined): boolean {
  return remote !== undefined && (remote === '::1' || /^(::ffff:)?127\./.test(remote));
}

function address(a: ModuleAddress): ModuleAddress {
  return { deviceId: a.deviceId, moduleId: a.moduleId };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 500);
}

/** The whole body, or undefined when it is over the limit (the rest is read and dropped). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}
