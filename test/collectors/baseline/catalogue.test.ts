import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKS, GROUPS, baselineFilterProblems, selectChecks, type Rule } from '../../../collectors/baseline/catalogue.js';
import { catalogueTable } from '../../../collectors/baseline/catalogue-table.js';
import { validateDesired } from '../../../src/config/desired-validation.js';
import { packageFile } from '../../../src/package-root.js';

const START = '<!-- catalogue:start -->\n';
const END = '<!-- catalogue:end -->';

function kinds(rule: Rule): string[] {
  return rule.kind === 'all' || rule.kind === 'any' ? rule.rules.flatMap(kinds) : [rule.kind];
}

describe('the baseline check catalogue', () => {
  it('has unique numeric ids, known groups, a remediation and at least the 52 file-readable checks', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^\d+(\.\d+)*$/);
      expect(GROUPS.map((g) => g.name)).toContain(c.group);
      expect(c.remediation.length).toBeGreaterThan(10);
      expect(c.id).toBe(c.benchmark === 'debian-9' ? c.cis.debian9 : c.cis.debian12);
    }
    expect(CHECKS.length).toBeGreaterThanOrEqual(52);
  });

  it('uses every rule kind the issue names', () => {
    const used = new Set(CHECKS.flatMap((c) => kinds(c.rule)));
    for (const k of ['file-content', 'sysctl', 'file-mode', 'mount', 'module-disabled', 'package', 'service']) expect(used).toContain(k);
  });

  it('matches the table in the README', () => {
    const path = packageFile('collectors', 'baseline', 'README.md');
    const readme = readFileSync(path, 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(0);
    const wanted = `${readme.slice(0, start + START.length)}${catalogueTable()}${readme.slice(end)}`;
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, wanted);
    else expect(readme).toBe(wanted);
  });

  it('filters checks by id and by group name, case-insensitively for groups', () => {
    const left = selectChecks({ Baseline_ChecksDisabled: '3.3.5, 2.2.1.1', Baseline_GroupsDisabled: 'ssh server,Cron' });
    const ids = new Set(left.map((c) => c.id));
    expect(ids.has('3.3.5') || ids.has('2.2.1.1') || ids.has('5.2.10') || ids.has('5.1.2')).toBe(false);
    expect(ids.has('3.3.4')).toBe(true);
    expect(left.length).toBe(CHECKS.length - 2 - CHECKS.filter((c) => c.group === 'SSH Server' || c.group === 'Cron').length);
  });
});

describe('twin validation of the baseline filters', () => {
  it('rejects an unknown check id or group with the key named, and accepts known ones', () => {
    expect(validateDesired({ Baseline_ChecksDisabled: '3.3.5,2.2.1.1', Baseline_GroupsDisabled: 'Time Synchronization, Network Parameters Host' })).toEqual({ valid: true });
    const bad = validateDesired({ Baseline_ChecksDisabled: '3.3.5,9.9.9', Baseline_GroupsDisabled: 'Time Sync' });
    expect(bad.valid).toBe(false);
    if (bad.valid) return;
    expect(bad.invalidFields).toEqual(['Baseline_ChecksDisabled', 'Baseline_GroupsDisabled']);
    expect(bad.reasons[0]?.reason).toBe('unknown check id "9.9.9"');
    expect(bad.reasons[1]?.reason).toMatch(/^unknown group "Time Sync"; groups are Filesystem, /);
  });

  it('keeps the schema reason alone for a malformed list', () => {
    const bad = validateDesired({ Baseline_ChecksDisabled: 'abc' });
    expect(bad.valid ? [] : bad.reasons).toEqual([{ key: 'Baseline_ChecksDisabled', reason: 'must be comma-separated check IDs, e.g. "3.3.5,2.2.1.1"' }]);
    expect(baselineFilterProblems({ Baseline_ChecksDisabled: 42 })).toEqual([]);
  });
});
