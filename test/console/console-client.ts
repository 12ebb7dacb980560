/** HTTPS calls to the simulated hub's web console, trusting the hub's CA, and an event-stream reader for its SSE. */
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { SimulatedHub } from '../../src/sim-hub/index.js';

export interface ConsoleResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** the parsed JSON body; undefined when empty or not JSON */
  json: unknown;
}

export interface ConsoleCall {
  /** true: the hub's token in the query; a string: that token in the query */
  token?: boolean | string;
  bearer?: string;
  cookie?: string;
  body?: unknown;
  /** sent as is, instead of JSON of `body` */
  rawBody?: string;
}

export function tokenOf(hub: SimulatedHub): string {
  return new URL(hub.consoleUrl).searchParams.get('token') ?? '';
}

function withToken(hub: SimulatedHub, path: string, token: ConsoleCall['token']): string {
  if (token === undefined || token === false) return path;
  const value = token === true ? tokenOf(hub) : token;
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(value)}`;
}

/** `path` goes out exactly as written (no '..' resolved), as a hostile client would send it. */
export function consoleCall(hub: SimulatedHub, method: string, path: string, call: ConsoleCall = {}): Promise<ConsoleResponse> {
  const payload = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  const headers: Record<string, string> = {};
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  if (call.bearer !== undefined) headers['Authorization'] = `Bearer ${call.bearer}`;
  if (call.cookie !== undefined) headers['Cookie'] = call.cookie;
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: hub.servicePort, servername: 'localhost', ca: hub.caPem, method,
      path: withToken(hub, path, call.token), headers,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface SseEvent {
  type: string;
  data: unknown;
}

export interface SseStream {
  status: number;
  headers: IncomingHttpHeaders;
  events: SseEvent[];
  /** resolves with the first event (already received or later) that matches */
  waitFor(predicate: (e: SseEvent) => boolean, what: string, timeoutMs?: number): Promise<SseEvent>;
  /** resolves when the server ends the stream */
  ended: Promise<void>;
  close(): void;
}

/** Opens /console/api/events with the query token (as a page's EventSource would with the cookie). */
export function openEvents(hub: SimulatedHub, call: ConsoleCall = { token: true }): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: hub.servicePort, servername: 'localhost', ca: hub.caPem, method: 'GET',
      path: withToken(hub, '/console/api/events', call.token),
      headers: { Accept: 'text/event-stream', ...(call.cookie === undefined ? {} : { Cookie: call.cookie }) },
    }, (res) => {
      const events: SseEvent[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ type, data: JSON.parse(data.join('\n')) as unknown });
        }
        for (const wake of [...waiters]) wake();
      });
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      res.on('error', () => undefined);
      const waitFor = (predicate: (e: SseEvent) => boolean, what: string, timeoutMs = 15_000): Promise<SseEvent> =>
        new Promise((found, fail) => {
          const check = (): void => {
            const hit = events.find(predicate);
            if (!hit) return;
            waiters.delete(check);
            clearTimeout(timer);
            found(hit);
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`no ${what} on the event stream within ${timeoutMs} ms (got ${events.map((e) => e.type).join(', ')})`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      resolve({ status: res.statusCode ?? 0, headers: res.headers, events, waitFor, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}
