import { describe, expect, it } from 'vitest';
import { parseStanzas, isInstalledStatus } from '../../../collectors/sbom/control-stanza.js';
import { diffInventories, byKey, inventoryDigest } from '../../../collectors/sbom/inventory-diff.js';
import type { PackageRecord } from '../../../collectors/sbom/package-record.js';
import { debPurl, parseOsRelease, rpmPurl } from '../../../collectors/sbom/purl.js';
import { parseRpmHeader, RpmHeaderError, sourceRpmName } from '../../../collectors/sbom/rpm-header.js';

const pkg = (name: string, version: string, architecture = 'amd64'): PackageRecord => ({
  manager: 'dpkg', name, version, architecture, vendor: 'V <v@example.org>', source: name, purl: `pkg:deb/debian/${name}@${version}?arch=${architecture}`,
});

describe('control stanzas', () => {
  it('joins continuation lines, accepts CRLF and a last stanza without newline', () => {
    const { stanzas, skipped } = parseStanzas('Package: a\r\nDescription: one\r\n two\r\n .\r\n\r\npackage: b\nVersion: 1', ['Package', 'Version', 'Description']);
    expect(skipped).toBe(0);
    expect(stanzas.map((s) => Object.fromEntries(s))).toEqual([{ Package: 'a', Description: 'one\ntwo\n.' }, { Package: 'b', Version: '1' }]);
  });

  it('skips and counts a stanza with a line that is neither a field nor a continuation, and one that starts with a continuation', () => {
    const { stanzas, skipped } = parseStanzas('Package: a\nnonsense\n\n continuation first\nPackage: b\n\nPackage: c\n');
    expect(stanzas.map((s) => s.get('Package'))).toEqual(['c']);
    expect(skipped).toBe(2);
  });

  it('reads the state word of dpkg and opkg status lines, and rejects what is not a status', () => {
    expect(isInstalledStatus('install ok installed')).toBe(true);
    expect(isInstalledStatus('install user installed')).toBe(true);
    expect(isInstalledStatus('hold ok triggers-pending')).toBe(true);
    expect(isInstalledStatus('deinstall ok config-files')).toBe(false);
    expect(isInstalledStatus('install reinstreq half-installed')).toBe(false);
    expect(isInstalledStatus('installed')).toBeUndefined();
  });
});

describe('purl', () => {
  it('keeps the epoch colon, percent-encodes +, lowercases deb names and sorts qualifiers', () => {
    expect(debPurl('Attr', '1:2.4.47-2+b1', 'amd64', { id: 'debian', versionId: '12' })).toBe('pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64&distro=debian-12');
    expect(rpmPurl('Shadow', '4.15.1-2.fc40', '2', 'x86_64', { id: 'fedora', versionId: '40' })).toBe('pkg:rpm/fedora/Shadow@4.15.1-2.fc40?arch=x86_64&distro=fedora-40&epoch=2');
    expect(rpmPurl('x', '1-1', '', 'noarch', undefined)).toBe('pkg:rpm/x@1-1?arch=noarch');
  });

  it('reads os-release with quotes and ignores what would break a purl', () => {
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n')).toEqual({ id: 'debian', versionId: '12' });
    expect(parseOsRelease('ID="a b&c"\n')).toEqual({ id: 'abc', versionId: '' });
    expect(parseOsRelease('NAME=x\n')).toBeUndefined();
  });
});

describe('rpm headers', () => {
  it('rejects blobs whose sizes do not add up instead of reading past them', () => {
    expect(() => parseRpmHeader(Buffer.from('0000', 'hex'))).toThrow(RpmHeaderError);
    expect(() => parseRpmHeader(Buffer.from('0000ffff00000000', 'hex'))).toThrow(/needs/);
    expect(() => parseRpmHeader(Buffer.from('7fffffff7fffffff', 'hex'))).toThrow(/claims/);
  });

  it('reads a string tag and refuses one that runs off the end of the data', () => {
    const entry = (tag: number, type: number, offset: number): Buffer => {
      const b = Buffer.alloc(16);
      b.writeUInt32BE(tag, 0); b.writeUInt32BE(type, 4); b.writeUInt32BE(offset, 8); b.writeUInt32BE(1, 12);
      return b;
    };
    const head = (il: number, dl: number): Buffer => Buffer.from([0, 0, 0, il, 0, 0, 0, dl]);
    expect(parseRpmHeader(Buffer.concat([head(1, 4), entry(1000, 6, 0), Buffer.from('abc\0')])).get(1000)).toBe('abc');
    expect(() => parseRpmHeader(Buffer.concat([head(1, 3), entry(1000, 6, 0), Buffer.from('abc')]))).toThrow(/past the end/);
  });

  it('takes the source package name from the source rpm file name', () => {
    expect(sourceRpmName('shadow-utils-4.15.1-2.fc40.src.rpm')).toBe('shadow-utils');
    expect(sourceRpmName('')).toBe('');
  });
});

describe('inventory diff', () => {
  it('reports installed, removed and updated by name and architecture, with the previous version', () => {
    const before = byKey([pkg('a', '1'), pkg('b', '1'), pkg('c', '1', 'i386')]);
    const after = byKey([pkg('a', '2'), pkg('c', '1', 'amd64'), pkg('d', '1')]);
    expect(diffInventories(before, after).map((c) => [c.action, c.package.name, c.package.architecture, c.package.version, c.previousVersion])).toEqual([
      ['Removed', 'b', 'amd64', '1', undefined],
      ['Removed', 'c', 'i386', '1', undefined],
      ['Updated', 'a', 'amd64', '2', '1'],
      ['Installed', 'c', 'amd64', '1', undefined],
      ['Installed', 'd', 'amd64', '1', undefined],
    ]);
  });

  it('gives the same digest whatever the order, and another one when a version moves', () => {
    expect(inventoryDigest([pkg('a', '1'), pkg('b', '1')])).toBe(inventoryDigest([pkg('b', '1'), pkg('a', '1')]));
    expect(inventoryDigest([pkg('a', '1')])).not.toBe(inventoryDigest([pkg('a', '2')]));
  });
});
