/** dpkg's database: `status`, the `updates/` journal merged over it, and distroless `status.d/` files. */
import { isInstalledStatus, parseStanzas, sourceName, type Stanza } from './control-stanza.js';
import { clip, type PackageRecord } from './package-record.js';
import { debPurl, type Distro } from './purl.js';

export interface DatabaseParse {
  readonly packages: PackageRecord[];
  /** Records that could not be read (garbage, no name, no version, a malformed status). */
  readonly skipped: number;
}

export interface DpkgTexts {
  /** `status`, or undefined when absent. */
  readonly status: string | undefined;
  /** `updates/NNNN` journal files, in dpkg's order (ascending number). */
  readonly updates: readonly string[];
  /** `status.d/*` files (distroless); their stanzas have no Status and are installed. */
  readonly statusD: readonly string[];
}

/** The installed packages, as libdpkg sees them: journal records replace status records of the same name and arch. */
export function parseDpkg(texts: DpkgTexts, distro: Distro | undefined): DatabaseParse {
  let skipped = 0;
  const byKey = new Map<string, { stanza: Stanza; implicitInstalled: boolean }>();
  const add = (text: string, implicitInstalled: boolean): void => {
    const parsed = parseStanzas(text);
    skipped += parsed.skipped;
    for (const stanza of parsed.stanzas) {
      const name = stanza.get('Package');
      if (name === undefined || name === '') {
        skipped++;
        continue;
      }
      byKey.set(`${name}:${stanza.get('Architecture') ?? ''}`, { stanza, implicitInstalled });
    }
  };
  if (texts.status !== undefined) add(texts.status, false);
  for (const text of texts.updates) add(text, false);
  for (const text of texts.statusD) add(text, true);
  const packages: PackageRecord[] = [];
  for (const { stanza, implicitInstalled } of byKey.values()) {
    const status = stanza.get('Status');
    const installed = status === undefined ? implicitInstalled : isInstalledStatus(status);
    const version = stanza.get('Version') ?? '';
    if (installed === undefined || (installed && version === '')) {
      skipped++;
      continue;
    }
    if (installed) packages.push(debRecord(stanza, version, distro));
  }
  return { packages, skipped };
}

function debRecord(stanza: Stanza, version: string, distro: Distro | undefined): PackageRecord {
  const name = stanza.get('Package') ?? '';
  const architecture = stanza.get('Architecture') ?? '';
  return {
    manager: 'dpkg',
    name: clip(name),
    version: clip(version),
    architecture: clip(architecture),
    vendor: clip(stanza.get('Maintainer') ?? ''),
    source: clip(sourceName(stanza.get('Source'), name)),
    purl: clip(debPurl(name, version, architecture, distro)),
  };
}
