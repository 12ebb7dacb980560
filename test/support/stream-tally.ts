/** Counts the stream's events the hub received: unique by event Id, hits from ExtraDetails.HitCount (1 where absent). */
import type { SecurityMessage, WireEvent } from '../../src/events/envelope.js';
import type { CapturedMessage } from '../../src/sim-hub/index.js';

export interface Tally {
  /** Sum of hits over distinct events of the stream. */
  hits: number;
  /** `--seq N` of every distinct unique event received. */
  seqs: Set<number>;
  /** Hits per CommandLine of the repeated (aggregated) events. */
  repeated: Map<string, number>;
  /** Distinct event Ids of the stream. */
  ids: Set<string>;
  /** Messages whose events had all been received before (a resend after a lost PUBACK). */
  duplicateMessages: number;
}

export function streamEvents(body: Buffer, prefix: string): WireEvent[] {
  const message = JSON.parse(body.toString('utf8')) as SecurityMessage;
  return message.Events.filter((e) => e.Name === 'ProcessCreate' && String(e.Payload[0]?.['CommandLine'] ?? '').startsWith(prefix));
}

export function hitsOf(event: WireEvent): number {
  const details = event.Payload[0]?.['ExtraDetails'];
  const count = typeof details === 'object' ? details['HitCount'] : undefined;
  return count === undefined ? 1 : Number(count);
}

export function tally(messages: readonly CapturedMessage[], prefix: string): Tally {
  const t: Tally = { hits: 0, seqs: new Set(), repeated: new Map(), ids: new Set(), duplicateMessages: 0 };
  for (const m of messages) {
    const events = streamEvents(m.body, prefix);
    if (events.length > 0 && events.every((e) => t.ids.has(e.Id))) t.duplicateMessages++;
    for (const e of events) {
      if (t.ids.has(e.Id)) continue;
      t.ids.add(e.Id);
      const hits = hitsOf(e);
      t.hits += hits;
      const line = String(e.Payload[0]?.['CommandLine']);
      const seq = /--seq (\d+)$/.exec(line)?.[1];
      if (seq !== undefined) t.seqs.add(Number(seq));
      else t.repeated.set(line, (t.repeated.get(line) ?? 0) + hits);
    }
  }
  return t;
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
