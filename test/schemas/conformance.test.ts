import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { messageValidator } from '../../src/events/message-schema.js';
import { buildMessage, toWireEvent } from '../../src/events/envelope.js';
import type { CollectedEvent } from '../../src/events/event.js';
import { packageFile } from '../../src/package-root.js';
import { HAS_SHARED, NO_SHARED_REASON, OFFICIAL_SAMPLES, OFFICIAL_SCHEMAS } from '../support/shared-reference.js';
import { officialProblems } from '../support/official-conformance.js';

const ours = messageValidator();
const AGENT = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };

describe.skipIf(!HAS_SHARED)(`conformance with the official Azure IoT security schemas${HAS_SHARED ? '' : ` (${NO_SHARED_REASON})`}`, () => {
  it('keeps the official schema files unchanged in message-schema/ (only our extension events added to the envelope)', () => {
    for (const file of readdirSync(OFFICIAL_SCHEMAS)) {
      const official = readFileSync(join(OFFICIAL_SCHEMAS, file), 'utf8');
      const copy = readFileSync(packageFile('message-schema', file), 'utf8');
      if (file === 'message_v1_0.json') {
        const stripped = copy.replace(/,\s*\{ "\$ref": "messageEvent(?:Heartbeat|SBoM|ContainerInventory|ContainerLifecycle)_v1_0\.json#" \}/g, '');
        expect(JSON.parse(stripped)).toEqual(JSON.parse(official));
      } else {
        expect(copy, file).toBe(official);
      }
    }
  });

  it('accepts every valid official sample and rejects every invalid one with the project schemas', () => {
    const samples = JSON.parse(readFileSync(OFFICIAL_SAMPLES, 'utf8')) as { valid: unknown[]; invalid: unknown[] };
    expect(samples.valid.length).toBeGreaterThan(0);
    for (const [i, sample] of samples.valid.entries()) expect(ours.validate(sample), `valid[${i}]`).toEqual([]);
    for (const [i, sample] of samples.invalid.entries()) expect(ours.validate(sample).length, `invalid[${i}]`).toBeGreaterThan(0);
  });
});

describe('project message schemas', () => {
  it('validates every collector sample event against the official schemas unchanged (the repository\'s copies)', () => {
    const dirs = readdirSync(packageFile('collectors'), { withFileTypes: true }).filter((d) => d.isDirectory());
    let checked = 0;
    for (const d of dirs) {
      const file = packageFile('collectors', d.name, 'sample-event.json');
      if (!existsSync(file)) continue;
      const sample = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      // A sample is a collected event, a wire event, a list of them, or a message with Events.
      const list = Array.isArray(sample) ? sample : sample !== null && typeof sample === 'object' && 'Events' in sample ? (sample as { Events: unknown[] }).Events : [sample];
      const events = list as Record<string, unknown>[];
      const wire = events.map((e) => ('Name' in e ? e : toWireEvent(e as unknown as CollectedEvent))) as ReturnType<typeof toWireEvent>[];
      const msg = buildMessage(AGENT, wire);
      expect(ours.validate(msg), d.name).toEqual([]);
      expect(officialProblems(msg), d.name).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('load and compile on a clone without ../shared', () => {
    const hb = toWireEvent({ name: 'Heartbeat', category: 'Periodic', eventType: 'Operational', payload: [], time: 0 });
    expect(ours.validate(buildMessage(AGENT, [hb]))).toEqual([]);
  });
});
