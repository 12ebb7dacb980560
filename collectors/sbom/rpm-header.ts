/** RPM header blobs as rpmdb stores them: big-endian il, dl, il 16-byte index entries {tag, type, offset, count}, then dl bytes of data. */

export const RPMTAG = {
  NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, VENDOR: 1011, LICENSE: 1014, PACKAGER: 1015, ARCH: 1022, SOURCERPM: 1044,
} as const;

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

/** rpm's own bounds (headerImport): more would be a corrupt or hostile blob. */
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_BYTES = 256 * 1024 * 1024;

export class RpmHeaderError extends Error {
  override readonly name = 'RpmHeaderError';
}

/** The string and int32 tags of a header, by tag number; other types are not needed for an SBoM and are left out. */
export function parseRpmHeader(blob: Uint8Array): Map<number, string | number> {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.byteLength < 8) throw new RpmHeaderError(`header of ${blob.byteLength} bytes is shorter than its 8-byte preamble`);
  const il = view.getUint32(0);
  const dl = view.getUint32(4);
  if (il > MAX_INDEX_ENTRIES || dl > MAX_DATA_BYTES) throw new RpmHeaderError(`header claims ${il} entries and ${dl} data bytes`);
  const dataStart = 8 + il * 16;
  if (dataStart + dl > blob.byteLength) throw new RpmHeaderError(`header needs ${dataStart + dl} bytes, blob has ${blob.byteLength}`);
  const tags = new Map<number, string | number>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = view.getUint32(at);
    const type = view.getUint32(at + 4);
    const offset = view.getUint32(at + 8);
    const count = view.getUint32(at + 12);
    if (offset >= dl) continue;
    if (type === TYPE_INT32) {
      if (count >= 1 && offset + 4 <= dl) tags.set(tag, view.getUint32(dataStart + offset));
    } else if (type === TYPE_STRING || type === TYPE_I18NSTRING || type === TYPE_STRING_ARRAY) {
      // The first string is the value (I18N: the C locale's).
      tags.set(tag, cString(blob, dataStart + offset, dataStart + dl));
    }
  }
  return tags;
}

function cString(blob: Uint8Array, start: number, end: number): string {
  let stop = start;
  while (stop < end && blob[stop] !== 0) stop++;
  if (stop === end) throw new RpmHeaderError('string runs past the end of the header data');
  return Buffer.from(blob.buffer, blob.byteOffset + start, stop - start).toString('utf8');
}

/** rpm prints `(none)` for an absent tag; the database never stores it, but some converters do. */
export function tagString(tags: ReadonlyMap<number, string | number>, tag: number): string {
  const v = tags.get(tag);
  return typeof v === 'string' && v !== '(none)' ? v : '';
}

/** `name-version-release.src.rpm` -> `name`. */
export function sourceRpmName(sourceRpm: string): string {
  const base = sourceRpm.replace(/\.(?:no)?src\.rpm$/, '');
  const parts = base.split('-');
  return parts.length >= 3 ? parts.slice(0, -2).join('-') : '';
}
