import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsPkg from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { loadSqlite } from '../../../collectors/sbom/index.js';
import { packageFile } from '../../../src/package-root.js';

const addFormats = addFormatsPkg as unknown as (ajv: Ajv) => Ajv;
const FIXTURES = join(import.meta.dirname, '../../fixtures/sbom');
const SCHEMAS = join(FIXTURES, 'cyclonedx-1.6');

/** The official CycloneDX 1.6 JSON schema with the two schemas it references, compiled as published. */
function cycloneDxValidator(): (doc: unknown) => string[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const f of ['spdx.schema.json', 'jsf-0.82.schema.json']) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as object);
  const validate = ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, 'bom-1.6.schema.json'), 'utf8')) as object);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [packageFile('dist', 'src', 'cli.js'), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const validate = cycloneDxValidator();

describe('iot-micro-agent sbom', () => {
  const sqlite = loadSqlite();
  for (const name of ['dpkg', 'distroless', 'apk', 'opkg', 'rpm-sqlite']) {
    const skip = name === 'rpm-sqlite' && !sqlite.ok ? ` (skipped: ${sqlite.reason})` : '';
    it.skipIf(skip !== '')(`prints a CycloneDX 1.6 document of the "${name}" fixture that the official schema accepts${skip}`, () => {
      const r = cli('sbom', '--host-root', join(FIXTURES, name, 'root'));
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { components: { purl: string; name: string }[]; specVersion: string };
      expect(validate(doc)).toEqual([]);
      expect(doc.specVersion).toBe('1.6');
      const expected = (JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as { packages: { purl: string }[] }).packages;
      expect(doc.components.map((c) => c.purl)).toEqual(expected.map((p) => p.purl));
    });
  }

  it('describes this machine in a document the official schema accepts', () => {
    const r = cli('sbom');
    if (r.code !== 0) expect(r.stderr).toMatch(/^iot-micro-agent: no package database found/);
    else expect(validate(JSON.parse(r.stdout))).toEqual([]);
  });

  it('has a validator that rejects what is not CycloneDX', () => {
    expect(validate({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: 'not-a-urn' }).length).toBeGreaterThan(0);
    expect(validate({ specVersion: '1.6', components: [{ name: 'x' }] }).length).toBeGreaterThan(0);
  });

  it('prints the payload items with --format json, and warns on stderr about what it cannot read', () => {
    const r = cli('sbom', '--host-root', join(FIXTURES, 'dpkg', 'root'), '--format', 'json');
    expect(r.code).toBe(0);
    const items = JSON.parse(r.stdout) as { Name: string; Action: string }[];
    expect(items.map((i) => i.Name)).toContain('openssl');
    expect(items.every((i) => i.Action === 'Inventory')).toBe(true);
    expect(r.stderr).toBe('iot-micro-agent: warning: 2 unreadable package records skipped\n');
    const bdb = cli('sbom', '--host-root', join(FIXTURES, 'rpm-bdb', 'root'), '--format', 'json');
    expect(bdb.code).toBe(0);
    expect(bdb.stderr).toMatch(/^iot-micro-agent: warning: unsupported: .*Packages is a BerkeleyDB rpm database/);
  });

  it('answers bad input with one line and exit 2', () => {
    for (const [args, message] of [
      [['sbom', '--format', 'spdx'], /--format "spdx": choose cyclonedx or json/],
      [['sbom', '--host-root', '/nonexistent-root'], /--host-root "\/nonexistent-root" is not a directory/],
      [['sbom', '--host-root', SCHEMAS], /no package database found under/],
      [['sbom', 'extra'], /usage: iot-micro-agent sbom/],
      [['sbom', '--bogus'], /bogus/],
    ] as const) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('prints one JSON line per package with collect sbom --once', () => {
    const r = cli('collect', 'sbom', '--once', '--host-root', join(FIXTURES, 'apk', 'root'));
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { Name: string }).Name)).toEqual(['libcrypto3', 'musl', 'ssl_client']);
  });
});
