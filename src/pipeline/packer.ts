/** Packs wire events into as few security messages as fit under the body budget, measured in UTF-8 bytes. */
import type { Logger } from 'pino';
import { buildMessage, type AgentIdentity, type WireEvent } from '../events/envelope.js';
import { serialize, truncateEvent } from './truncate.js';

/** IoT Hub's device-to-cloud limit: body plus property names and values. */
export const IOT_HUB_MAX_MESSAGE_BYTES = 262_144;
/**
 * Left for properties: the hub link adds `$.ifid`, `$.ct`, `$.ce` and maybe `$.mid` (about 120 bytes);
 * 4 KB also covers MQTT topic encoding and properties a gateway adds.
 */
export const PROPERTY_MARGIN_BYTES = 4_096;
export const DEFAULT_MAX_BODY_BYTES = IOT_HUB_MAX_MESSAGE_BYTES - PROPERTY_MARGIN_BYTES;

export interface PackResult {
  readonly messages: Buffer[];
  /** Events placed into messages. */
  readonly events: number;
  /** Events cut down because they were too large for a message on their own. */
  readonly truncated: number;
  /** Events that could not be made to fit even when truncated (logged, counted). */
  readonly dropped: number;
}

export class Packer {
  private readonly prefix: string;
  private readonly suffix = ']}';
  private readonly overhead: number;

  constructor(
    agent: AgentIdentity,
    readonly maxBodyBytes: number = DEFAULT_MAX_BODY_BYTES,
    private readonly log?: Logger,
  ) {
    // The envelope with an empty Events array, split where the events go.
    const empty = JSON.stringify(buildMessage(agent, []));
    if (!empty.endsWith('[]}')) throw new Error('unexpected envelope layout: Events must be the last field');
    this.prefix = empty.slice(0, -2);
    this.overhead = Buffer.byteLength(this.prefix, 'utf8') + this.suffix.length;
    if (maxBodyBytes < this.overhead + 512) throw new RangeError(`maxBodyBytes ${maxBodyBytes} leaves no room for events`);
  }

  /** The most a single event may take: the budget minus the envelope around it. */
  get maxEventBytes(): number {
    return this.maxBodyBytes - this.overhead;
  }

  pack(events: readonly WireEvent[]): PackResult {
    const messages: Buffer[] = [];
    let parts: string[] = [];
    let size = this.overhead;
    let placed = 0;
    let truncated = 0;
    let dropped = 0;
    const finish = (): void => {
      if (parts.length === 0) return;
      const body = Buffer.from(this.prefix + parts.join(',') + this.suffix, 'utf8');
      // The running sum is exact; this guard only protects the hub limit against a future bug.
      if (body.length !== size || body.length > this.maxBodyBytes) {
        throw new Error(`packer size accounting is off: ${body.length} bytes, expected ${size}`);
      }
      messages.push(body);
      parts = [];
      size = this.overhead;
    };
    for (const event of events) {
      let item = serialize(event);
      if (item.bytes > this.maxEventBytes) {
        const cut = truncateEvent(event, this.maxEventBytes);
        if (cut === undefined) {
          dropped++;
          this.log?.warn({ event: event.Name, bytes: item.bytes, limit: this.maxEventBytes }, 'event too large for a message even when truncated; dropped');
          continue;
        }
        truncated++;
        this.log?.warn({ event: event.Name, bytes: item.bytes, limit: this.maxEventBytes }, 'event too large for a message; truncated its longest fields');
        item = cut;
      }
      const separator = parts.length === 0 ? 0 : 1;
      if (size + separator + item.bytes > this.maxBodyBytes) finish();
      size += (parts.length === 0 ? 0 : 1) + item.bytes;
      parts.push(item.json);
      placed++;
    }
    finish();
    return { messages, events: placed, truncated, dropped };
  }
}
