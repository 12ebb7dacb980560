/** Finds the package databases under a host root, tells cheaply whether they moved, and reads them into one inventory. */
import { readFileSync } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseApk } from './apk-database.js';
import { parseDpkg, type DatabaseParse } from './dpkg-database.js';
import { parseOpkg } from './opkg-database.js';
import { sortPackages, type PackageManager, type PackageRecord } from './package-record.js';
import { parseOsRelease, type Distro } from './purl.js';
import { readRpmSqlite, type SqliteLoad } from './rpm-database.js';

export type DatabaseKind = 'dpkg' | 'apk' | 'opkg' | 'rpm-sqlite' | 'rpm-bdb' | 'rpm-ndb';

export interface DatabaseLocation {
  readonly kind: DatabaseKind;
  /** Absolute path of the database file (dpkg: its admin directory). */
  readonly path: string;
  /** What one check stats: the file(s) that every write of this database replaces or grows. */
  readonly triggers: readonly string[];
}

export interface Inventory {
  readonly packages: PackageRecord[];
  /** Unreadable records, summed over all databases. */
  readonly skipped: number;
  /** One line per database that is present but cannot be read ("unsupported: ..." or the error). */
  readonly problems: string[];
  /** Managers with a database that failed to read this time (not the unsupported ones): their packages are unknown, not gone. */
  readonly failed: Set<PackageManager>;
  readonly distro: Distro | undefined;
}

const RPM_DIRS = ['var/lib/rpm', 'usr/lib/sysimage/rpm', 'usr/share/rpm'];
const OPKG_DIRS = ['usr/lib/opkg', 'var/lib/opkg'];

async function kindOf(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Every database present; a directory reached twice through a symlink (Fedora's /var/lib/rpm) counts once. */
export async function findDatabases(hostRoot: string): Promise<DatabaseLocation[]> {
  const found: DatabaseLocation[] = [];
  const seen = new Set<string>();
  const add = async (kind: DatabaseKind, path: string, triggers: string[]): Promise<void> => {
    const real = await realpath(path).catch(() => path);
    if (seen.has(real)) return;
    seen.add(real);
    found.push({ kind, path, triggers });
  };
  const dpkg = join(hostRoot, 'var/lib/dpkg');
  const status = join(dpkg, 'status');
  const statusD = join(dpkg, 'status.d');
  const hasStatus = (await kindOf(status)) === 'file';
  const hasStatusD = (await kindOf(statusD)) === 'dir';
  // dpkg checkpoints the journal into a renamed status at the end of every run, so status alone tells a change.
  if (hasStatus || hasStatusD) await add('dpkg', dpkg, [...(hasStatus ? [status] : []), ...(hasStatusD ? [statusD] : [])]);
  const apk = join(hostRoot, 'lib/apk/db/installed');
  if ((await kindOf(apk)) === 'file') await add('apk', apk, [apk]);
  for (const dir of OPKG_DIRS) {
    const file = join(hostRoot, dir, 'status');
    if ((await kindOf(file)) === 'file') await add('opkg', file, [file]);
  }
  for (const dir of RPM_DIRS) {
    const sqlite = join(hostRoot, dir, 'rpmdb.sqlite');
    const ndb = join(hostRoot, dir, 'Packages.db');
    const bdb = join(hostRoot, dir, 'Packages');
    // Writes land in the WAL until a checkpoint, so the -wal file moves when the main file does not.
    if ((await kindOf(sqlite)) === 'file') await add('rpm-sqlite', sqlite, [sqlite, `${sqlite}-wal`]);
    else if ((await kindOf(ndb)) === 'file') await add('rpm-ndb', ndb, [ndb]);
    else if ((await kindOf(bdb)) === 'file') await add('rpm-bdb', bdb, [bdb]);
  }
  return found;
}

/** Device, inode, size and mtime (ns) of every trigger: equal strings mean nothing was written. One stat per trigger. */
export async function databaseIdentity(locations: readonly DatabaseLocation[]): Promise<string> {
  const parts: string[] = [];
  for (const loc of locations) {
    for (const path of loc.triggers) {
      try {
        const s = await stat(path, { bigint: true });
        parts.push(`${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`);
      } catch {
        parts.push('-');
      }
    }
  }
  return parts.join('|');
}

export async function readDistro(hostRoot: string): Promise<Distro | undefined> {
  for (const rel of ['etc/os-release', 'usr/lib/os-release']) {
    try {
      return parseOsRelease(await readFile(join(hostRoot, rel), 'utf8'));
    } catch {
      // the next candidate
    }
  }
  return undefined;
}

/** Reads every located database; one that fails is a problem line, never the end of the others. */
export async function readInventory(hostRoot: string, locations: readonly DatabaseLocation[], sqlite: () => SqliteLoad): Promise<Inventory> {
  const distro = await readDistro(hostRoot);
  const packages: PackageRecord[] = [];
  const problems: string[] = [];
  const failed = new Set<PackageManager>();
  let skipped = 0;
  for (const loc of locations) {
    try {
      const parsed = await readDatabase(loc, distro, sqlite);
      if (typeof parsed === 'string') {
        problems.push(parsed);
        continue;
      }
      packages.push(...parsed.packages);
      skipped += parsed.skipped;
    } catch (err) {
      problems.push(`${loc.path}: ${err instanceof Error ? err.message : String(err)}`);
      failed.add(loc.kind === 'rpm-sqlite' ? 'rpm' : (loc.kind as PackageManager));
    }
  }
  return { packages: sortPackages(packages), skipped, problems, failed, distro };
}

async function readDatabase(loc: DatabaseLocation, distro: Distro | undefined, sqlite: () => SqliteLoad): Promise<DatabaseParse | string> {
  switch (loc.kind) {
    case 'dpkg':
      return parseDpkg(await readDpkgTexts(loc.path), distro);
    case 'apk':
      return parseApk(await readText(loc.path), distro);
    case 'opkg': {
      const info = join(loc.path, '..', 'info');
      return parseOpkg(await readText(loc.path), (name) => readOptional(join(info, `${name}.control`)), distro);
    }
    case 'rpm-sqlite': {
      const lib = sqlite();
      if (!lib.ok) return `unsupported: ${loc.path} is an SQLite rpm database and ${lib.reason}`;
      return readRpmSqlite(lib.open, loc.path, distro);
    }
    case 'rpm-bdb':
      return `unsupported: ${loc.path} is a BerkeleyDB rpm database; only rpmdb.sqlite (rpm >= 4.16) is read`;
    case 'rpm-ndb':
      return `unsupported: ${loc.path} is an NDB rpm database (SUSE); only rpmdb.sqlite (rpm >= 4.16) is read`;
  }
}

async function readDpkgTexts(dir: string): Promise<{ status: string | undefined; updates: string[]; statusD: string[] }> {
  const status = await readText(join(dir, 'status')).catch(() => undefined);
  const names = async (sub: string): Promise<string[]> => (await readdir(join(dir, sub)).catch(() => [] as string[])).sort();
  // The journal's files are NNNN; `tmp.i` is a record dpkg had not finished writing.
  const journal = (await names('updates')).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  const updates = await Promise.all(journal.map((n) => readText(join(dir, 'updates', n)).catch(() => '')));
  const distroless = (await names('status.d')).filter((n) => !n.endsWith('.md5sums') && !n.startsWith('.'));
  const statusD = await Promise.all(distroless.map((n) => readText(join(dir, 'status.d', n)).catch(() => '')));
  return { status, updates, statusD };
}

/** Read whole, then decoded once: readFile(path, 'utf8') decodes in chunks into a rope that the line scanner walks slowly. */
async function readText(path: string): Promise<string> {
  return (await readFile(path)).toString('utf8');
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
