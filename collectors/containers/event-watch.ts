/**
 * Follows the engine's streamed `/events` (type container; start, stop, die, oom) and reconnects with the
 * project's backoff when the socket is absent, refused or the stream ends; a resumed stream asks for the
 * events since the last one seen and skips what it had already handed over.
 */
import type { Logger } from 'pino';
import { backoffDelay } from '../../src/backoff.js';
import type { Cancel, Clock } from '../../src/clock.js';
import { DockerClient, filtersQuery, type EventStream } from '../../src/edge/docker-client.js';
import { errorMessage } from '../../src/errors.js';
import { WATCHED_ACTIONS, parseEventLine, sinceParameter, type ContainerEvent } from './container-events.js';

export type WatchState =
  | { readonly kind: 'waiting'; readonly detail: string }
  | { readonly kind: 'connected'; readonly socket: string }
  | { readonly kind: 'failed'; readonly detail: string };

export interface EventWatchOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** The socket to use now, or undefined while there is none. */
  readonly resolveSocket: () => Promise<string | undefined>;
  /** Said when nothing is found, e.g. "no socket at /var/run/docker.sock". */
  readonly missingDetail: () => string;
  readonly onEvent: (event: ContainerEvent) => void;
  readonly onState: (state: WatchState) => void;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly random?: () => number;
}

const PATH = `/events?filters=${filtersQuery({ type: ['container'], event: [...WATCHED_ACTIONS] })}`;

export class EventWatch {
  private stopped = false;
  private running: Promise<void> | undefined;
  private stream: EventStream | undefined;
  private wake: (() => void) | undefined;
  private cancelSleep: Cancel | undefined;
  /** The newest event handed over, and the keys of the events at that very time (a resume replays them). */
  private lastNano: bigint | undefined;
  private lastKeys = new Set<string>();

  constructor(private readonly opts: EventWatchOptions) {}

  start(): void {
    this.running ??= this.run().catch((err: unknown) => this.opts.log.error({ reason: errorMessage(err) }, 'container event watch ended'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stream?.close();
    this.cancelSleep?.();
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const backoff = this.opts.backoff ?? { initialMs: 1_000, maxMs: 60_000 };
    let attempt = 0;
    while (!this.stopped) {
      const socket = await this.opts.resolveSocket();
      if (this.stopped) return;
      if (socket === undefined) {
        this.opts.onState({ kind: 'waiting', detail: this.opts.missingDetail() });
      } else {
        const ended = await this.follow(socket, () => {
          attempt = 0;
          this.opts.onState({ kind: 'connected', socket });
        });
        if (this.stopped) return;
        this.opts.onState({ kind: 'failed', detail: ended });
      }
      await this.sleep(backoffDelay(attempt++, { ...backoff, ...(this.opts.random ? { random: this.opts.random } : {}) }));
    }
  }

  /** Follows one stream until it ends; returns why, in one line. */
  private async follow(socket: string, onOpen: () => void): Promise<string> {
    const since = this.lastNano !== undefined ? `&since=${sinceParameter(this.lastNano)}` : '';
    const stream = new DockerClient({ socketPath: socket }).streamLines(`${PATH}${since}`, (line) => this.line(line), onOpen);
    this.stream = stream;
    try {
      await stream.done;
      return `the Docker event stream at ${socket} ended`;
    } catch (err) {
      return errorMessage(err);
    } finally {
      this.stream = undefined;
    }
  }

  private line(line: string): void {
    const event = parseEventLine(line);
    if (event === undefined || this.stopped) return;
    const key = `${event.id}\u0000${event.action}`;
    if (this.lastNano !== undefined) {
      if (event.timeNano < this.lastNano) return;
      if (event.timeNano === this.lastNano && this.lastKeys.has(key)) return;
    }
    if (event.timeNano !== this.lastNano) this.lastKeys = new Set();
    this.lastNano = event.timeNano;
    this.lastKeys.add(key);
    this.opts.onEvent(event);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.stopped) return resolve();
      this.wake = resolve;
      this.cancelSleep = this.opts.clock.setTimeout(() => resolve(), ms);
    }).then(() => {
      this.wake = undefined;
      this.cancelSleep = undefined;
    });
  }
}
