import { execFile, execFileSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';

const run = promisify(execFile);
const UNIT = packageFile('systemd', 'iot-micro-agent.service');
const SYSTEM_UNITS = '/lib/systemd/system';

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const noAnalyze = hasSystemdAnalyze() ? undefined : 'systemd-analyze is missing (apt-get install systemd; .ci/run does)';
if (noAnalyze) console.warn(`[systemd unit] skipped: ${noAnalyze}`);

/** `Key=value` lines of the unit, in order; comments and sections dropped. */
function directives(text: string): [string, string][] {
  return text.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

describe.skipIf(noAnalyze !== undefined)('systemd/iot-micro-agent.service', () => {
  it('passes systemd-analyze verify with no message at all', async () => {
    // verify needs every Exec* binary to exist and the system's units: a root holding the host's units and stubs.
    const root = await mkdtemp(join(tmpdir(), 'iot-micro-agent-verify-'));
    try {
      await cp(SYSTEM_UNITS, join(root, SYSTEM_UNITS), { recursive: true, verbatimSymlinks: true });
      await cp(UNIT, join(root, SYSTEM_UNITS, 'iot-micro-agent.service'));
      const text = await readFile(UNIT, 'utf8');
      const binaries = directives(text).filter(([k]) => k.startsWith('Exec')).map(([, v]) => v.split(/\s+/)[0] ?? '');
      expect(binaries).toEqual(['/usr/bin/iot-micro-agent', '/bin/kill']);
      for (const bin of binaries) {
        await mkdir(join(root, dirname(bin)), { recursive: true });
        await writeFile(join(root, bin), '#!/bin/sh\n');
        await chmod(join(root, bin), 0o755);
      }
      const { stdout, stderr } = await run('systemd-analyze', ['verify', '--man=false', `--root=${root}`, 'iot-micro-agent.service']);
      expect(stdout + stderr).toBe('');

      // The same check fails when something is wrong, so the empty output above means something.
      await writeFile(join(root, SYSTEM_UNITS, 'iot-micro-agent.service'), text.replace('[Service]\n', '[Service]\nNoSuchDirective=1\n'));
      const bad = await run('systemd-analyze', ['verify', '--man=false', `--root=${root}`, 'iot-micro-agent.service']);
      expect(bad.stderr).toContain("Unknown key 'NoSuchDirective'");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('scores at most 3.5 in systemd-analyze security, the score the README states', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', UNIT]);
    const score = Number(/Overall exposure level for iot-micro-agent\.service: (\d+\.\d)/.exec(stdout)?.[1]);
    console.info(`[systemd unit] systemd-analyze security --offline=true: ${score}`);
    expect(score).toBeLessThanOrEqual(3.5);
    const readme = readFileSync(packageFile('systemd', 'README.md'), 'utf8');
    expect(readme).toContain(`scores **${score.toFixed(1)}**`);
  }, 60_000);
});

describe('the unit grants only what it names', () => {
  const text = existsSync(UNIT) ? readFileSync(UNIT, 'utf8') : '';
  const value = (key: string): string[] => directives(text).filter(([k]) => k === key).map(([, v]) => v);

  it('runs as the dedicated user with the same three capabilities ambient and bounding, each explained', () => {
    expect(value('User')).toEqual(['iot-micro-agent']);
    const caps = ['CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH', 'CAP_NET_ADMIN'];
    expect(value('AmbientCapabilities')).toEqual([caps.join(' ')]);
    expect(value('CapabilityBoundingSet')).toEqual([caps.join(' ')]);
    for (const cap of caps) expect(text).toMatch(new RegExp(`^# ${cap}: `, 'm'));
  });

  it('does not restart on a configuration error and keeps Node flags out of the unit', () => {
    expect(value('Restart')).toEqual(['on-failure']);
    expect(value('RestartPreventExitStatus')).toEqual(['2']);
    expect(value('ExecStart')).toEqual(['/usr/bin/iot-micro-agent run --config /etc/iot-micro-agent/config.json']);
    // The launcher's --lite-mode runs V8 without its JIT, so no page needs to be writable and executable.
    expect(value('MemoryDenyWriteExecute')).toEqual(['true']);
    // These would hide the processes and sockets the agent watches.
    for (const key of ['ProtectProc', 'ProcSubset', 'PrivateUsers']) expect(value(key)).toEqual([]);
  });
});
