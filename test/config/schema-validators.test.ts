import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VALIDATORS, builtValidatorPath, compileValidator, loadValidator, schemaHash, schemaText, type ValidatorName } from '../../src/config/schema-validators.js';

const require = createRequire(import.meta.url);
const NAMES = Object.keys(SCHEMA_VALIDATORS) as ValidatorName[];

// Documents that pass and fail in different ways, for both schemas.
const DOCS: unknown[] = [
  {}, null, [], 'text', { bogus: 1 }, { transport: 'mqtt-ws', logLevel: 'debug' }, { transport: 'x', stateDir: '' },
  { outboxMaxBytes: 1.5 }, { twinDefaults: [] }, { Heartbeat_Disabled: true }, { Heartbeat_Disabled: 'yes' },
  { Process_Mode: 2 }, { Process_Mode: 99 }, { CollectorsCore_PriorityIntervals: 'garbage' },
];

describe('config schema validators built ahead by `npm run build`', () => {
  for (const name of NAMES) {
    it(`${name}: the build wrote a validator for the schema as it is now, and the agent uses it`, () => {
      const built = builtValidatorPath(name);
      expect(existsSync(built), `${built} missing: run npm run build`).toBe(true);
      const mod = require(built) as { schemaHash?: string };
      expect(mod.schemaHash).toBe(schemaHash(schemaText(name)));
      expect(loadValidator(name)).toBe(mod);
    });

    it(`${name}: the built validator answers as ajv compiling the schema now (result, errors, filled defaults)`, () => {
      const built = loadValidator(name);
      const { validate: fresh } = compileValidator(name, schemaText(name));
      for (const doc of DOCS) {
        const a = structuredClone(doc);
        const b = structuredClone(doc);
        expect(built(a)).toBe(fresh(b));
        expect(built.errors ?? null).toEqual(fresh.errors ?? null);
        expect(a).toEqual(b);
      }
    });
  }

  it('a schema that no longer matches the built file is compiled at load instead (a source run before a build)', () => {
    const schema = JSON.parse(schemaText('local-config')) as { additionalProperties: boolean };
    schema.additionalProperties = true;
    const loose = loadValidator('local-config', JSON.stringify(schema));
    expect(loose).not.toBe(loadValidator('local-config'));
    expect(loose({ bogus: 1 })).toBe(true);
    expect(loadValidator('local-config')({ bogus: 1 })).toBe(false);
  });

  it('the built code needs nothing of ajv but its small runtime helpers', () => {
    for (const name of NAMES) {
      const requires = [...readFileSync(builtValidatorPath(name), 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      for (const r of requires) expect(r).toMatch(/^ajv\/dist\/runtime\//);
    }
  });
});
