/** The reported properties: the configuration decision plus a description of the agent, within 32 KB. */
import type { CollectorReport } from './collector-host.js';

export interface ReportInput {
  decision: { latest_state: 'success' | 'failed'; latest_invalid_fields: string[] };
  agent: { version: string; id: string; startTime: string; transport: string; outbox: string };
  collectors: (CollectorReport & { name: string; settings: Record<string, unknown> })[];
}

/** Keys accepted for compatibility that change nothing, by collector; the key table says so too (test/config/readme-table). */
export const NO_EFFECT_KEYS: Readonly<Record<string, readonly string[]>> = {
  NetworkActivity: ['NetworkActivity_PacketBufferSize'],
  Statistics: ['Statistics_CacheSize'],
};

/** IoT Hub rejects reported sections over 32 KB; stay well below so a long reason never loses the decision. */
const MAX_REPORTED_BYTES = 24 * 1024;
/** An invalid key longer than this is shortened in reported when the section would otherwise be too large. */
const MAX_REPORTED_KEY_CHARS = 128;

export function buildReported(input: ReportInput): Record<string, unknown> {
  const collectors: Record<string, Record<string, unknown>> = {};
  for (const c of input.collectors) {
    const entry: Record<string, unknown> = { state: c.state };
    // Reported patches merge: a detail that no longer applies must be deleted explicitly.
    entry['detail'] = c.detail === undefined ? null : c.detail.slice(0, 200);
    if (c.state !== 'unsupported') entry['settings'] = c.settings;
    const noEffect = NO_EFFECT_KEYS[c.name];
    if (noEffect !== undefined) entry['no_effect'] = noEffect.map((key) => `${key}: accepted for compatibility, no effect`);
    collectors[c.name] = entry;
  }
  const patch: Record<string, unknown> = {
    latest_state: input.decision.latest_state,
    latest_invalid_fields: input.decision.latest_invalid_fields,
    agent: input.agent,
    collectors,
  };
  if (Buffer.byteLength(JSON.stringify(patch)) > MAX_REPORTED_BYTES) {
    // Settings are the bulky part and are echoed from desired anyway; the states stay.
    for (const c of Object.values(collectors)) delete c['settings'];
  }
  if (Buffer.byteLength(JSON.stringify(patch)) > MAX_REPORTED_BYTES) {
    // Keys may be up to 1 KB each, so 31 invalid ones alone can fill the section: shorten the long ones.
    patch['latest_invalid_fields'] = input.decision.latest_invalid_fields.map((k) =>
      (k.length > MAX_REPORTED_KEY_CHARS ? `${k.slice(0, MAX_REPORTED_KEY_CHARS)}…(${k.length} chars)` : k));
  }
  return patch;
}
