import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { createProcessCollector } from '../../../collectors/process/index.js';
import { buildMessage, toWireEvent } from '../../../src/events/envelope.js';
import { FakeClock, FakeHost, RecordingSink, collectorOptions, fixturePolls, settle } from './helpers.js';

const SCHEMA_DIR = join(import.meta.dirname, '../../../../shared/reference/azure-iot-security/security_message/schemas');
const haveSchemas = existsSync(SCHEMA_DIR);
// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule);

describe.skipIf(!haveSchemas)(`official security message schema (needs ${SCHEMA_DIR})`, () => {
  it('accepts every ProcessCreate and ProcessTerminate the collector emits for all fixture cases', async () => {
    // strict off: the official files use a non-standard "boolean" keyword.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const f of readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.json'))) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as object);
    const validate = ajv.getSchema('messageRoot.json');
    if (!validate) throw new Error('messageRoot.json missing');
    const events = [];
    for (const name of ['normal', 'partial', 'zombie', 'pid-reuse', 'hostile-names']) {
      const host = new FakeHost();
      const clock = new FakeClock();
      const sink = new RecordingSink();
      const [first, ...rest] = fixturePolls(name);
      host.load(first as string);
      const c = createProcessCollector(collectorOptions(host.root, clock));
      await c.start?.(sink);
      for (const dir of rest) {
        host.load(dir);
        clock.tick(100);
        await settle();
      }
      await c.stop();
      host.dispose();
      events.push(...sink.events);
    }
    expect(new Set(events.map((e) => e.name))).toEqual(new Set(['ProcessCreate', 'ProcessTerminate']));
    for (const e of events) {
      const message = buildMessage({ agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' }, [toWireEvent(e)]);
      expect(validate(message) ? 'valid' : JSON.stringify(validate.errors?.slice(0, 3))).toBe('valid');
    }
  });

  it('rejects a ProcessCreate without its CommandLine (the check can fail)', () => {
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    for (const f of readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.json'))) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as object);
    const bad = toWireEvent({ name: 'ProcessCreate', category: 'Triggered', eventType: 'Security', time: 0, payload: [{ Executable: '/bin/x', ProcessId: 1, ParentProcessId: 0, UserId: '0' }] });
    expect(ajv.validate('messageRoot.json', buildMessage({ agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' }, [bad]))).toBe(false);
  });
});
