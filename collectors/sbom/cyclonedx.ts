/** A CycloneDX 1.6 JSON document of the installed packages, for vulnerability scanners (grype, trivy, Dependency-Track). */
import { packageKey, type PackageRecord } from './package-record.js';
import type { Distro } from './purl.js';

export interface CycloneDxOptions {
  readonly serialNumber: string;
  /** ISO 8601. */
  readonly timestamp: string;
  readonly agentVersion: string;
  readonly distro: Distro | undefined;
}

interface Property { name: string; value: string }

/** Valid against the official bom-1.6.schema.json (tested); OS packages are `library` components, as syft emits them. */
export function cycloneDxDocument(packages: readonly PackageRecord[], o: CycloneDxOptions): Record<string, unknown> {
  const os: Record<string, unknown> = { type: 'operating-system', name: o.distro?.id || 'linux' };
  if (o.distro?.versionId) os['version'] = o.distro.versionId;
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${o.serialNumber}`,
    version: 1,
    metadata: {
      timestamp: o.timestamp,
      tools: { components: [{ type: 'application', name: 'iot-micro-agent', version: o.agentVersion }] },
      component: os,
    },
    components: packages.map(component),
  };
}

function component(p: PackageRecord): Record<string, unknown> {
  const properties: Property[] = [{ name: 'iot-micro-agent:package-manager', value: p.manager }];
  if (p.architecture !== '') properties.push({ name: 'iot-micro-agent:architecture', value: p.architecture });
  if (p.source !== '' && p.source !== p.name) properties.push({ name: 'iot-micro-agent:source', value: p.source });
  const c: Record<string, unknown> = { type: 'library', 'bom-ref': `${packageKey(p)}@${p.version}`, name: p.name, version: p.version };
  // syft maps the dpkg/apk maintainer and the rpm vendor to publisher.
  if (p.vendor !== '') c['publisher'] = p.vendor;
  c['purl'] = p.purl;
  c['properties'] = properties;
  return c;
}
