/** RPM's SQLite database (`rpmdb.sqlite`): header blobs read through the optional better-sqlite3 package. */
import { createRequire } from 'node:module';
import type { DatabaseParse } from './dpkg-database.js';
import { clip, type PackageRecord } from './package-record.js';
import { rpmPurl, type Distro } from './purl.js';
import { RPMTAG, parseRpmHeader, sourceRpmName, tagString } from './rpm-header.js';

/** The few better-sqlite3 calls used here, so the package stays optional and untyped at build time. */
interface SqliteStatement { iterate(): IterableIterator<unknown> }
interface SqliteDatabase { prepare(sql: string): SqliteStatement; close(): void }
type SqliteOpen = new (path: string, options: { readonly: boolean; fileMustExist: boolean }) => SqliteDatabase;

export type SqliteLoad = { ok: true; open: SqliteOpen } | { ok: false; reason: string };

/** Loads better-sqlite3 once per call site; absent or broken, the reason says so in one line. */
export function loadSqlite(): SqliteLoad {
  try {
    const mod = createRequire(import.meta.url)('better-sqlite3') as unknown;
    if (typeof mod !== 'function') return { ok: false, reason: 'better-sqlite3 did not export a constructor' };
    return { ok: true, open: mod as SqliteOpen };
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, reason: `the optional package better-sqlite3 is not installed or did not load (${detail})` };
  }
}

/** Every header in `Packages`, parsed; a corrupt blob is skipped and counted. Throws when the file is not an rpmdb. */
export function readRpmSqlite(open: SqliteOpen, path: string, distro: Distro | undefined): DatabaseParse {
  const db = new open(path, { readonly: true, fileMustExist: true });
  const packages: PackageRecord[] = [];
  let skipped = 0;
  try {
    for (const row of db.prepare('SELECT blob FROM Packages').iterate()) {
      const blob = row !== null && typeof row === 'object' && 'blob' in row ? row.blob : undefined;
      if (!(blob instanceof Uint8Array)) {
        skipped++;
        continue;
      }
      try {
        const record = rpmRecord(parseRpmHeader(blob), distro);
        if (record === undefined) skipped++;
        else if (record !== 'pubkey') packages.push(record);
      } catch {
        skipped++;
      }
    }
  } finally {
    db.close();
  }
  return { packages, skipped };
}

/** `pubkey` for rpm's imported signing keys (`gpg-pubkey`), which are not software. */
function rpmRecord(tags: ReadonlyMap<number, string | number>, distro: Distro | undefined): PackageRecord | 'pubkey' | undefined {
  const name = tagString(tags, RPMTAG.NAME);
  const version = tagString(tags, RPMTAG.VERSION);
  if (name === '' || version === '') return undefined;
  if (name === 'gpg-pubkey') return 'pubkey';
  const release = tagString(tags, RPMTAG.RELEASE);
  const epochTag = tags.get(RPMTAG.EPOCH);
  const epoch = typeof epochTag === 'number' ? String(epochTag) : '';
  const versionRelease = release === '' ? version : `${version}-${release}`;
  const architecture = tagString(tags, RPMTAG.ARCH);
  return {
    manager: 'rpm',
    name: clip(name),
    version: clip(epoch === '' ? versionRelease : `${epoch}:${versionRelease}`),
    architecture: clip(architecture),
    vendor: clip(tagString(tags, RPMTAG.VENDOR) || tagString(tags, RPMTAG.PACKAGER)),
    source: clip(sourceRpmName(tagString(tags, RPMTAG.SOURCERPM)) || name),
    purl: clip(rpmPurl(name, versionRelease, epoch, architecture, distro)),
  };
}
