import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { validateConfigCommand } from '../../src/config/validate-config-command.js';

async function run(content: string | undefined): Promise<{ code: number; out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'validate-config-'));
  const file = join(dir, 'desired.json');
  if (content !== undefined) writeFileSync(file, content);
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (b: Buffer) => (chunks.out += b.toString()));
  err.on('data', (b: Buffer) => (chunks.err += b.toString()));
  const code = await validateConfigCommand(file, out, err);
  return { code, ...chunks };
}

describe('validate-config', () => {
  it('exits 0 for a valid bare desired document', async () => {
    const r = await run(JSON.stringify({ Process_Mode: 3, CollectorsCore_PriorityIntervals: '10s,1m,5m', $version: 4 }));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid \(2 keys set\)/);
    expect(r.err).toBe('');
  });

  it('accepts a whole twin and validates its properties.desired', async () => {
    const twin = { deviceId: 'd1', moduleId: 'DefenderIotMicroAgent', properties: { desired: { Login_UsePAM: 'yes', $metadata: {} }, reported: {} } };
    const r = await run(JSON.stringify(twin));
    expect(r.code).toBe(1);
    expect(r.out).toContain('Login_UsePAM: must be a boolean');
  });

  it('exits 1 and prints every invalid key with its reason', async () => {
    const r = await run(JSON.stringify({ Process_Mode: 9, Foo: 1, CollectorsCore_PriorityIntervals: '120,30,1440' }));
    expect(r.code).toBe(1);
    expect(r.out).toContain('CollectorsCore_PriorityIntervals: must satisfy High <= Medium <= Low');
    expect(r.out).toContain('Foo: unknown key');
    expect(r.out).toContain('Process_Mode: must be one of 1, 2, 3');
    expect(r.out).toContain('invalid (3 invalid keys)');
  });

  it('exits 1 for JSON that is not an object', async () => {
    const r = await run('[1,2]');
    expect(r.code).toBe(1);
    expect(r.out).toContain('(document): the desired document must be a JSON object');
  });

  it.each([
    ['a missing file', undefined, /does not exist/],
    ['broken JSON', '{"Process_Mode": ', /is not valid JSON/],
    ['an empty file', '', /is not valid JSON/],
  ])('exits 2 with one clear line for %s', async (_name, content, message) => {
    const r = await run(content);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });
});
