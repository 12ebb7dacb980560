/** package-url (purl-spec) for OS packages: deb, rpm, apk; opkg has no purl type (see README). */

export interface Distro {
  /** os-release `ID`, lowercased: debian, ubuntu, fedora, alpine, openwrt, ... */
  readonly id: string;
  /** os-release `VERSION_ID`, possibly empty. */
  readonly versionId: string;
}

/** Percent-encodes a purl segment; ':' stays readable in versions, as purl-spec's own examples show. */
function encode(segment: string): string {
  return encodeURIComponent(segment).replace(/%3A/gi, ':');
}

function build(type: string, namespace: string, name: string, version: string, qualifiers: Record<string, string>): string {
  const ns = namespace === '' ? '' : `${encode(namespace)}/`;
  const q = Object.entries(qualifiers)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${encode(v)}`)
    .join('&');
  return `pkg:${type}/${ns}${encode(name)}${version === '' ? '' : `@${encode(version)}`}${q === '' ? '' : `?${q}`}`;
}

function distroQualifier(distro: Distro | undefined): string {
  if (distro === undefined || distro.id === '') return '';
  return distro.versionId === '' ? distro.id : `${distro.id}-${distro.versionId}`;
}

/** `pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12`; the namespace is the distro (debian unless os-release says otherwise). */
export function debPurl(name: string, version: string, arch: string, distro: Distro | undefined): string {
  return build('deb', distro?.id || 'debian', name.toLowerCase(), version, { arch, distro: distroQualifier(distro) });
}

/** `pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&epoch=1`: version-release in the version, the epoch as a qualifier. */
export function rpmPurl(name: string, versionRelease: string, epoch: string, arch: string, distro: Distro | undefined): string {
  return build('rpm', distro?.id ?? '', name, versionRelease, { arch, epoch, distro: distroQualifier(distro) });
}

/** `pkg:apk/alpine/curl@7.83.0-r0?arch=x86`; OpenWrt's apk packages take the `openwrt` namespace. */
export function apkPurl(name: string, version: string, arch: string, distro: Distro | undefined): string {
  const ns = distro?.id === 'openwrt' ? 'openwrt' : 'alpine';
  return build('apk', ns, name.toLowerCase(), version, { arch, distro: distroQualifier(distro) });
}

/** No opkg type exists in purl-spec; this is syft's non-standard `pkg:opkg/openwrt/...`, so scanners that follow syft match it. */
export function opkgPurl(name: string, version: string, arch: string, distro: Distro | undefined): string {
  return build('opkg', distro?.id || 'openwrt', name, version, { arch, distro: distroQualifier(distro) });
}

/** os-release `ID` and `VERSION_ID` (quotes removed); undefined when the file says neither. */
export function parseOsRelease(text: string): Distro | undefined {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) values.set(m[1], m[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  const id = (values.get('ID') ?? '').toLowerCase();
  if (id === '') return undefined;
  return { id: id.replace(/[^a-z0-9._-]/g, ''), versionId: (values.get('VERSION_ID') ?? '').replace(/[^A-Za-z0-9._-]/g, '') };
}
