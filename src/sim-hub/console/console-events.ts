/** Server-Sent Events to the console's pages: message, twin, connection and identity, with a heartbeat comment. */
import type { ServerResponse } from 'node:http';
import { systemClock, type Cancel, type Clock } from '../../clock.js';
import { SECURITY_HEADERS, sendText } from './console-access.js';

export type ConsoleEventType = 'message' | 'twin' | 'connection' | 'identity';

export const HEARTBEAT_MS = 15_000;
/** More open streams than a few tabs need means something is leaking them; refuse rather than grow. */
const MAX_STREAMS = 32;
/** A page that stopped reading (a frozen tab) is dropped once this much waits for it. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export class ConsoleEvents {
  private readonly streams = new Set<ServerResponse>();
  private stopHeartbeat: Cancel | undefined;
  private closed = false;

  constructor(private readonly clock: Clock = systemClock, private readonly heartbeatMs = HEARTBEAT_MS) {}

  get openStreams(): number {
    return this.streams.size;
  }

  open(res: ServerResponse): void {
    if (this.closed) {
      sendText(res, 503, 'the simulated hub is stopping\n');
      return;
    }
    if (this.streams.size >= MAX_STREAMS) {
      sendText(res, 429, `at most ${MAX_STREAMS} event streams at once\n`);
      return;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no',
    });
    // The comment flushes the headers at once, so the page's EventSource opens without waiting for the first event.
    res.write('retry: 2000\n: connected\n\n');
    this.streams.add(res);
    // The response's 'close' is the connection's end; the request's fires as soon as its (empty) body is read.
    const forget = (): void => this.drop(res);
    res.on('close', forget);
    res.on('error', forget);
    this.stopHeartbeat ??= this.clock.setInterval(() => this.writeAll(': heartbeat\n\n'), this.heartbeatMs);
  }

  send(type: ConsoleEventType, data: unknown): void {
    if (this.streams.size === 0) return;
    this.writeAll(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends every stream; later requests get 503. */
  close(): void {
    this.closed = true;
    for (const res of [...this.streams]) {
      this.drop(res);
      res.end();
    }
  }

  private writeAll(chunk: string): void {
    for (const res of [...this.streams]) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        this.drop(res);
        res.destroy();
      } else {
        res.write(chunk);
      }
    }
  }

  private drop(res: ServerResponse): void {
    this.streams.delete(res);
    if (this.streams.size === 0) {
      this.stopHeartbeat?.();
      this.stopHeartbeat = undefined;
    }
  }
}
