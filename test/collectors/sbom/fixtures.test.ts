import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSqlite, snapshotPackages } from '../../../collectors/sbom/index.js';
import { HAS_RPM_TOOLS, writeRpmFixture } from './rpmdb-builder.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/sbom');
const CASES = ['dpkg', 'distroless', 'apk', 'opkg', 'rpm-sqlite', 'rpm-bdb'];
const SQLITE = loadSqlite();
/** Without the optional better-sqlite3 the rpm case cannot be read; the test below checks the reason instead. */
const skipCase = (name: string): string => (name === 'rpm-sqlite' && !SQLITE.ok ? ` (skipped: ${SQLITE.reason})` : '');

async function view(name: string, sqlite?: Parameters<typeof snapshotPackages>[1]): Promise<unknown> {
  const root = join(FIXTURES, name, 'root');
  const inv = await snapshotPackages(root, sqlite);
  return { packages: inv.packages, skipped: inv.skipped, problems: inv.problems.map((p) => p.replaceAll(root, '<root>')), distro: inv.distro ?? null };
}

describe('package databases from fixture host roots', () => {
  // A binary that differs on every build: rebuilt only when asked by name, not by every UPDATE_GOLDEN run.
  if (process.env['UPDATE_RPM_FIXTURE'] === '1' && HAS_RPM_TOOLS) {
    it('rebuilds the rpmdb.sqlite fixture with rpm itself (UPDATE_RPM_FIXTURE=1)', () => {
      writeRpmFixture(join(FIXTURES, 'rpm-sqlite/root/var/lib/rpm/rpmdb.sqlite'));
    });
  }

  for (const name of CASES) {
    it.skipIf(skipCase(name) !== '')(`reads the golden inventory of the "${name}" case${skipCase(name)}`, async () => {
      const actual = await view(name);
      const golden = join(FIXTURES, name, 'expected.json');
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, `${JSON.stringify(actual, null, 2)}\n`);
      expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(actual).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    });
  }

  it('counts installed states as installed and leaves config-files, half-installed, unpacked and not-installed out', async () => {
    const inv = await snapshotPackages(join(FIXTURES, 'dpkg', 'root'));
    const names = inv.packages.map((p) => `${p.name}:${p.architecture}`);
    expect(names).toEqual(expect.arrayContaining(['held-package:arm64', 'awaiting-triggers:amd64', 'libc6:amd64', 'libc6:i386']));
    for (const gone of ['removed-keeps-config', 'half-there', 'purged-long-ago', 'garbage-stanza', 'bad-status']) {
      expect(names.some((n) => n.startsWith(`${gone}:`)), gone).toBe(false);
    }
    // The garbage stanza and the malformed Status line are skipped and counted.
    expect(inv.skipped).toBe(2);
  });

  it('merges the updates/ journal over status in order and ignores an unfinished tmp.i', async () => {
    const inv = await snapshotPackages(join(FIXTURES, 'dpkg', 'root'));
    const version = (n: string): string | undefined => inv.packages.find((p) => p.name === n)?.version;
    expect(version('openssl')).toBe('3.0.2-0ubuntu1.12'); // half-configured in 0000: still installed, new version
    expect(version('unpacked-only')).toBe('0.9-1'); // unpacked in status, configured by 0001
    expect(version('adduser')).toBe('3.118ubuntu5'); // tmp.i's 99-unfinished is not a journal record
  });

  it('keeps the last line of a status file that has no trailing newline', async () => {
    const text = readFileSync(join(FIXTURES, 'dpkg/root/var/lib/dpkg/status'), 'utf8');
    expect(text.endsWith('\n')).toBe(false);
    const inv = await snapshotPackages(join(FIXTURES, 'dpkg', 'root'));
    expect(inv.packages.find((p) => p.name === 'openssl')?.vendor).toBe('Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>');
  });

  it('takes the opkg maintainer from info/<pkg>.control when the status has none', async () => {
    const inv = await snapshotPackages(join(FIXTURES, 'opkg', 'root'));
    expect(inv.packages.find((p) => p.name === 'busybox')?.vendor).toBe('Felix Fietkau <nbd@nbd.name>');
    expect(inv.packages.find((p) => p.name === 'dropbear')?.vendor).toBe('Status Says <status@example.org>');
    expect(inv.packages.find((p) => p.name === 'libc')?.vendor).toBe('');
  });

  it('reports an rpmdb.sqlite as unsupported, with the reason, when better-sqlite3 cannot be loaded', async () => {
    const actual = (await view('rpm-sqlite', () => ({ ok: false, reason: 'the optional package better-sqlite3 is not installed' }))) as { packages: unknown[]; problems: string[] };
    expect(actual.packages).toEqual([]);
    expect(actual.problems).toEqual(['unsupported: <root>/var/lib/rpm/rpmdb.sqlite is an SQLite rpm database and the optional package better-sqlite3 is not installed']);
  });

  it('finds nothing, and says so by an empty list, under a root without package databases', async () => {
    const inv = await snapshotPackages(join(FIXTURES, 'cyclonedx-1.6'));
    expect(inv).toMatchObject({ packages: [], skipped: 0, problems: [] });
  });
});
