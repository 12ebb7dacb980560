/** opkg's status file (OpenWrt, Yocto ipk images); the maintainer is often only in `info/<pkg>.control`. */
import { isInstalledStatus, parseStanzas, sourceName } from './control-stanza.js';
import type { DatabaseParse } from './dpkg-database.js';
import { clip, type PackageRecord } from './package-record.js';
import { opkgPurl, type Distro } from './purl.js';

/** `controls` maps a package name to its `info/<name>.control` text, read only for packages whose status lacks a Maintainer. */
export function parseOpkg(status: string, controls: (name: string) => string | undefined, distro: Distro | undefined): DatabaseParse {
  const parsed = parseStanzas(status);
  let skipped = parsed.skipped;
  const packages: PackageRecord[] = [];
  for (const stanza of parsed.stanzas) {
    const name = stanza.get('Package') ?? '';
    const version = stanza.get('Version') ?? '';
    const installed = isInstalledStatus(stanza.get('Status') ?? '');
    if (name === '' || installed === undefined || (installed && version === '')) {
      skipped++;
      continue;
    }
    if (!installed) continue;
    let maintainer = stanza.get('Maintainer');
    if (maintainer === undefined) {
      const control = controls(name);
      maintainer = control === undefined ? '' : (parseStanzas(control).stanzas[0]?.get('Maintainer') ?? '');
    }
    const architecture = stanza.get('Architecture') ?? '';
    packages.push({
      manager: 'opkg',
      name: clip(name),
      version: clip(version),
      architecture: clip(architecture),
      vendor: clip(maintainer),
      source: clip(sourceName(stanza.get('Source'), name)),
      purl: clip(opkgPurl(name, version, architecture, distro)),
    });
  }
  return { packages, skipped };
}
