/** Alpine apk's `lib/apk/db/installed`: blank-line separated records of `X:value` lines (P name, V version, A arch, m maintainer, o origin). */
import type { DatabaseParse } from './dpkg-database.js';
import { clip, type PackageRecord } from './package-record.js';
import { apkPurl, type Distro } from './purl.js';

export function parseApk(text: string, distro: Distro | undefined): DatabaseParse {
  const packages: PackageRecord[] = [];
  let skipped = 0;
  for (const record of text.split(/\r?\n[ \t]*\r?\n/)) {
    if (record.trim() === '') continue;
    const fields = new Map<string, string>();
    let broken = false;
    for (const raw of record.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') continue;
      // Every line is one letter, a colon, a value; anything else means the record is not apk's.
      if (line.length < 2 || line[1] !== ':') {
        broken = true;
        break;
      }
      const key = line[0]!;
      if (!fields.has(key)) fields.set(key, line.slice(2));
    }
    const name = fields.get('P') ?? '';
    const version = fields.get('V') ?? '';
    if (broken || name === '' || version === '') {
      skipped++;
      continue;
    }
    const architecture = fields.get('A') ?? '';
    packages.push({
      manager: 'apk',
      name: clip(name),
      version: clip(version),
      architecture: clip(architecture),
      vendor: clip(fields.get('m') ?? ''),
      source: clip(fields.get('o') || name),
      purl: clip(apkPurl(name, version, architecture, distro)),
    });
  }
  return { packages, skipped };
}
