/** The console's view of arriving messages: the last 500, each with its events by name and hit counts. */
import type { CapturedMessage } from '../simulated-hub.js';

/** What the console keeps; the hub's own capture keeps more, for tests. */
export const CONSOLE_MESSAGE_LIMIT = 500;

export interface EventSummary {
  name: string;
  category: string;
  /** payload items of the events of this name in the message */
  hits: number;
}

export interface ConsoleMessage {
  seq: number;
  deviceId: string;
  moduleId: string;
  receivedAt: string;
  properties: Record<string, string>;
  /** the parsed JSON body, or the text when it is not JSON */
  body: unknown;
  events: EventSummary[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Events[] of the security message envelope, grouped by Name in order of first appearance. */
export function summarizeEvents(body: unknown): EventSummary[] {
  const events = isRecord(body) && Array.isArray(body['Events']) ? body['Events'] : [];
  const byName = new Map<string, EventSummary>();
  for (const event of events) {
    if (!isRecord(event) || typeof event['Name'] !== 'string') continue;
    const hits = Array.isArray(event['Payload']) ? event['Payload'].length : 0;
    const known = byName.get(event['Name']);
    if (known) known.hits += hits;
    else byName.set(event['Name'], { name: event['Name'], category: typeof event['Category'] === 'string' ? event['Category'] : '', hits });
  }
  return [...byName.values()];
}

function parseBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface Entry {
  seq: number;
  captured: CapturedMessage;
  /** parsed on first use: a hub under load pays nothing while no page looks */
  view?: ConsoleMessage;
}

export class ConsoleMessages {
  private readonly ring: Entry[] = [];
  private seq = 0;

  constructor(private readonly limit = CONSOLE_MESSAGE_LIMIT) {}

  /** Keeps the message (dropping the oldest beyond the limit); `view()` of the result gives its console form. */
  add(captured: CapturedMessage): Entry {
    const entry: Entry = { seq: ++this.seq, captured };
    this.ring.push(entry);
    if (this.ring.length > this.limit) this.ring.shift();
    return entry;
  }

  view(entry: Entry): ConsoleMessage {
    if (entry.view) return entry.view;
    const m = entry.captured;
    const body = parseBody(m.body);
    entry.view = {
      seq: entry.seq, deviceId: m.deviceId, moduleId: m.moduleId, receivedAt: new Date(m.receivedAt).toISOString(),
      properties: { ...m.properties }, body, events: summarizeEvents(body),
    };
    return entry.view;
  }

  /** Newest first, at most `limit`, only those with an event named `event` when given. */
  list(limit: number, event?: string): ConsoleMessage[] {
    const out: ConsoleMessage[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < limit; i--) {
      const m = this.view(this.ring[i] as Entry);
      if (event === undefined || m.events.some((e) => e.name === event)) out.push(m);
    }
    return out;
  }
}
