import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../../collectors/baseline/catalogue.js';
import { runChecks } from '../../../collectors/baseline/run-checks.js';
import { FIXTURES, IS_ROOT, NOT_ROOT_REASON, materialize } from './host-root.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** id -> result, and the reason for anything but Pass, as the checked-in table has it. */
async function table(hostRoot: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const o of await runChecks(hostRoot, CHECKS)) out[o.check.id] = o.result === 'Pass' ? 'Pass' : `${o.result}: ${o.detail.split(hostRoot).join('')}`;
  return out;
}

describe.each([
  ['hardened', 'Pass'],
  ['exposed', 'Fail'],
])('the %s fixture host root', (name, everyResult) => {
  it.skipIf(!IS_ROOT)(`gives ${everyResult} for every check, matching ${name}.expected.json${IS_ROOT ? '' : ` (${NOT_ROOT_REASON})`}`, async () => {
    const root = materialize(name);
    made.push(root);
    const actual = await table(root);
    const file = join(FIXTURES, `${name}.expected.json`);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, `${JSON.stringify(actual, null, 1)}\n`);
    expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 to create it`).toBe(true);
    expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    const results = Object.values(actual).map((r) => r.split(':')[0]);
    expect(new Set(results)).toEqual(new Set([everyResult]));
  });
});
