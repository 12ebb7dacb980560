import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { twinSchema } from '../../src/config/twin-schema.js';
import { packageFile } from '../../src/package-root.js';
import { NO_EFFECT_KEYS } from '../../src/reported-status.js';

interface Row {
  readonly key: string;
  readonly type: string;
  readonly defaultText: string;
  readonly range: string;
  readonly description: string;
}

/** The rows of the README's key table: `| \`Key\` | type | \`default\` | range | description |`. */
function readmeRows(file: string): Row[] {
  const text = readFileSync(file, 'utf8');
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const m = /^\| `([A-Za-z_]+)` \| (\w+) \| `(.*?)` \| (.*?) \| (.*) \|$/.exec(line);
    if (m) rows.push({ key: m[1] ?? '', type: m[2] ?? '', defaultText: m[3] ?? '', range: m[4] ?? '', description: m[5] ?? '' });
  }
  return rows;
}

const READMES = {
  'config-schema/README.md': packageFile('config-schema', 'README.md'),
  'README.md': packageFile('README.md'),
};

describe.each(Object.entries(READMES))('the key table of %s', (_name, file) => {
  const rows = readmeRows(file);
  const props = twinSchema().schema.properties;

  it('lists every schema key once, and nothing else', () => {
    expect(rows.map((r) => r.key).sort()).toEqual(Object.keys(props).sort());
  });

  it('shows the schema type and default of every key', () => {
    for (const row of rows) {
      const prop = props[row.key];
      expect(row.type, row.key).toBe(prop?.type);
      expect(JSON.parse(row.defaultText), row.key).toEqual(prop?.default);
    }
  });

  it('shows the schema bounds of every integer and the values of every enum', () => {
    for (const row of rows) {
      const prop = props[row.key];
      if (prop?.enum) for (const v of prop.enum) expect(row.range, row.key).toContain(`\`${String(v)}\``);
      else if (prop?.type === 'integer') expect(row.range, row.key).toBe(`${prop.minimum} to ${prop.maximum}`);
      else if (prop?.maxLength !== undefined) expect(row.range, row.key).toContain(String(prop.maxLength));
    }
  });

  it('says "no effect" exactly for the keys the schema accepts for compatibility only', () => {
    for (const row of rows) {
      const noEffect = /no effect/i.test(String(props[row.key]?.description ?? ''));
      expect(/no effect/i.test(row.description), row.key).toBe(noEffect);
    }
  });
});

describe('keys accepted for compatibility only', () => {
  it('are the ones the reported properties list under no_effect', () => {
    const props = twinSchema().schema.properties;
    const documented = Object.keys(props).filter((k) => /no effect/i.test(String(props[k]?.description ?? ''))).sort();
    expect(Object.values(NO_EFFECT_KEYS).flat().sort()).toEqual(documented);
    expect(documented).toContain('NetworkActivity_PacketBufferSize');
  });
});
