/** Builds real RPM packages (rpmbuild) and a real rpmdb.sqlite (rpm --dbpath) for the tests; needs Debian's `rpm` package. */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RpmSpec {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch?: number;
  readonly arch: 'noarch' | 'x86_64';
  readonly vendor?: string;
  readonly packager?: string;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export const HAS_RPM_TOOLS = has('rpm') && has('rpmbuild');
export const NO_RPM_REASON = 'skipped: rpm and rpmbuild are not installed (.ci/run installs Debian\'s rpm package)';

/** An empty package with the given header fields; returns the .rpm path. */
export function buildRpm(workDir: string, spec: RpmSpec): string {
  const top = join(workDir, 'rpmbuild');
  mkdirSync(top, { recursive: true });
  const lines = [
    `Name: ${spec.name}`, `Version: ${spec.version}`, `Release: ${spec.release}`, 'Summary: fixture package', 'License: MIT',
    ...(spec.epoch === undefined ? [] : [`Epoch: ${spec.epoch}`]),
    ...(spec.vendor === undefined ? [] : [`Vendor: ${spec.vendor}`]),
    ...(spec.packager === undefined ? [] : [`Packager: ${spec.packager}`]),
    ...(spec.arch === 'noarch' ? ['BuildArch: noarch'] : []),
    '%description', 'A package made by the iot-micro-agent tests.', '%files', '',
  ];
  const specFile = join(workDir, `${spec.name}.spec`);
  writeFileSync(specFile, lines.join('\n'));
  execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '--define', '_build_id_links none', '--target', spec.arch, '-bb', specFile], { stdio: 'ignore' });
  return join(top, 'RPMS', spec.arch, `${spec.name}-${spec.version}-${spec.release}.${spec.arch}.rpm`);
}

/** rpm's own database calls, against `dbDir` only (never the machine's). */
export function rpmdb(dbDir: string, args: string[]): string {
  return execFileSync('rpm', ['--dbpath', dbDir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

export function initRpmdb(dbDir: string): void {
  mkdirSync(dbDir, { recursive: true });
  rpmdb(dbDir, ['--initdb']);
}

/** Registers the package in the database without touching the file system (--justdb). */
export function rpmInstall(dbDir: string, rpmFile: string): void {
  rpmdb(dbDir, ['-i', '--justdb', '--nodeps', '--ignorearch', '--ignoreos', rpmFile]);
}

export function rpmErase(dbDir: string, name: string): void {
  rpmdb(dbDir, ['-e', '--justdb', '--nodeps', name]);
}

/** `name epoch:version-release arch vendor` per package, as rpm itself reads the database, sorted. */
export function rpmQueryAll(dbDir: string): string[] {
  const out = rpmdb(dbDir, ['-qa', '--qf', '%|EPOCH?{%{EPOCH}:}:{}|%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\\n']);
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const m = /^(\d+:)?(\S+) (\S+) (\S+)$/.exec(l);
    return m ? `${m[2]} ${m[1] ?? ''}${m[3]} ${m[4]}` : l;
  }).sort();
}

export const FIXTURE_RPMS: readonly RpmSpec[] = [
  { name: 'sbom-fixture-curl', version: '8.6.0', release: '1.fc40', arch: 'x86_64', vendor: 'Fedora Project', packager: 'Fedora Project' },
  { name: 'sbom-fixture-tzdata', version: '2024a', release: '5.fc40', arch: 'noarch', packager: 'Fixture Packager <packager@example.org>' },
  { name: 'sbom-fixture-shadow', version: '4.15.1', release: '2.fc40', epoch: 2, arch: 'x86_64', vendor: 'Fedora Project' },
];

interface Sqlite { exec(sql: string): void; prepare(sql: string): { run(...args: unknown[]): void }; close(): void }
type SqliteOpen = new (path: string) => Sqlite;

/**
 * The committed fixture `test/fixtures/sbom/rpm-sqlite/root/var/lib/rpm/rpmdb.sqlite`: FIXTURE_RPMS installed by rpm itself,
 * the WAL folded into one file, plus two corrupt header blobs that the reader must skip and count.
 */
export function writeRpmFixture(dest: string): void {
  const work = mkdtempSync(join(tmpdir(), 'rpm-fixture-'));
  try {
    const db = join(work, 'db');
    initRpmdb(db);
    for (const spec of FIXTURE_RPMS) rpmInstall(db, buildRpm(work, spec));
    const open = createRequire(import.meta.url)('better-sqlite3') as SqliteOpen;
    const sqlite = new open(join(db, 'rpmdb.sqlite'));
    sqlite.exec('PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;');
    const insert = sqlite.prepare('INSERT INTO Packages (blob) VALUES (?)');
    insert.run(Buffer.from('0000ffff00000000', 'hex'));
    insert.run(Buffer.from('000000010000001000000000', 'hex'));
    sqlite.exec('VACUUM');
    sqlite.close();
    copyFileSync(join(db, 'rpmdb.sqlite'), dest);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
