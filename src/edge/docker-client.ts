/**
 * The Docker Engine API over its unix socket with node:http: JSON requests and the streamed `/events`.
 * No client library: dockerode pulls in grpc, protobuf, tar and ssh for the four calls used here.
 * Paths are unversioned, so the daemon answers in its own API version (Engine 29 refuses old pins).
 */
import { request, type IncomingMessage } from 'node:http';
import { AgentError } from '../errors.js';

/** A response body larger than this is refused: an inventory of thousands of containers stays far below. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** A single event line larger than this ends the stream (a daemon does not send such lines). */
const MAX_LINE_BYTES = 1024 * 1024;

export class DockerApiError extends AgentError {
  /** The HTTP status, or undefined when the socket could not be reached. */
  readonly status: number | undefined;
  /** ENOENT, ECONNREFUSED, EACCES... when the socket could not be reached. */
  readonly code: string | undefined;
  constructor(message: string, status?: number, code?: string) {
    super('DockerApiError', message, status === undefined || status >= 500);
    this.status = status;
    this.code = code;
  }
}

function reachError(socketPath: string, err: NodeJS.ErrnoException): DockerApiError {
  return new DockerApiError(`cannot reach the Docker API at ${socketPath}: ${err.code ?? err.message}`, undefined, err.code);
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.destroy();
      throw new DockerApiError(`Docker API response larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The daemon's `{message}` on 4xx/5xx, one line. */
function statusError(path: string, status: number, body: string): DockerApiError {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  return new DockerApiError(`Docker API ${path.split('?')[0] ?? path}: HTTP ${status}: ${message.replace(/\s+/g, ' ').slice(0, 200)}`, status);
}

export interface DockerClientOptions {
  readonly socketPath: string;
  /** Deadline of one JSON request; default 5 s. */
  readonly timeoutMs?: number;
}

export interface EventStream {
  /** Settles when the stream ends: resolves when the daemon closed it, rejects on an error. */
  readonly done: Promise<void>;
  close(): void;
}

export class DockerClient {
  readonly socketPath: string;
  private readonly timeoutMs: number;

  constructor(opts: DockerClientOptions) {
    this.socketPath = opts.socketPath;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  /** GET `path` and parse its JSON body; 404 resolves to undefined (a container gone between list and inspect). */
  getJson(path: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, path, method: 'GET', headers: { host: 'docker' } }, (res) => {
        readBody(res).then((body) => {
          const status = res.statusCode ?? 0;
          if (status === 404) return resolve(undefined);
          if (status < 200 || status >= 300) return reject(statusError(path, status, body));
          try {
            resolve(JSON.parse(body) as unknown);
          } catch {
            reject(new DockerApiError(`Docker API ${path.split('?')[0] ?? path}: the response is not JSON`));
          }
        }, reject);
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new DockerApiError(`Docker API ${path.split('?')[0] ?? path} timed out after ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof DockerApiError ? err : reachError(this.socketPath, err)));
      req.end();
    });
  }

  /**
   * GET a streaming endpoint and hand over each newline-terminated line. `onOpen` runs once the daemon
   * answered 200, so a caller can tell a refused stream from one that ended after working.
   */
  streamLines(path: string, onLine: (line: string) => void, onOpen: () => void = () => {}): EventStream {
    let close: () => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, path, method: 'GET', headers: { host: 'docker' } }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          readBody(res).then((body) => reject(statusError(path, status, body)), reject);
          return;
        }
        onOpen();
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          let nl = pending.indexOf('\n');
          while (nl >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (line !== '') onLine(line);
            nl = pending.indexOf('\n');
          }
          if (pending.length > MAX_LINE_BYTES) res.destroy(new DockerApiError(`Docker API ${path.split('?')[0] ?? path}: a line longer than ${MAX_LINE_BYTES} bytes`));
        });
        res.on('end', () => resolve());
        res.on('close', () => resolve());
        res.on('error', reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof DockerApiError ? err : reachError(this.socketPath, err)));
      req.end();
      close = () => req.destroy();
    });
    // A closed stream must not surface as an unhandled rejection when nobody awaits it any more.
    done.catch(() => {});
    return { done, close: () => close() };
  }
}

/** `?filters=` value: Docker's JSON `map[string][]string`. */
export function filtersQuery(filters: Readonly<Record<string, readonly string[]>>): string {
  return encodeURIComponent(JSON.stringify(filters));
}
