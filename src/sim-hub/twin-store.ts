/** Module twins: versioned desired and reported sections, merge with null-delete, IoT Hub's size and key rules. */

export interface TwinDocument {
  desired: Record<string, unknown>;
  reported: Record<string, unknown>;
}

export type TwinSection = 'desired' | 'reported';

/** Each section is limited to 32 KB, counted as reference §5 describes. */
export const TWIN_SECTION_LIMIT = 32 * 1024;
const MAX_DEPTH = 10;
const MAX_KEY_BYTES = 1024;
const MAX_STRING_BYTES = 4 * 1024;

/** A rejected twin update; `errorCode` is the hub's six-digit code that goes into the JSON body. */
export class TwinUpdateError extends Error {
  override readonly name = 'TwinUpdateError';
  constructor(readonly status: number, readonly errorCode: number, message: string) {
    super(message);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges `patch` into a copy of `target`; `null` removes a key, objects merge recursively. */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value)) {
      const current = out[key];
      out[key] = mergePatch(isPlainObject(current) ? current : {}, value);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

/** Sum of UTF-8 key lengths plus values (numbers 8 bytes, booleans 4, strings their UTF-8 length). */
export function twinSectionSize(section: Record<string, unknown>): number {
  let size = 0;
  for (const [key, value] of Object.entries(section)) {
    if (key.startsWith('$')) continue;
    size += Buffer.byteLength(key) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'number') return 8;
  if (typeof value === 'boolean') return 4;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + valueSize(v), 0);
  if (isPlainObject(value)) return twinSectionSize(value);
  return 0;
}

/** Key and value rules of §5; returns the first problem, or undefined when the patch is acceptable. */
export function twinPatchProblem(patch: Record<string, unknown>, depth = 1): string | undefined {
  if (depth > MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH}`;
  for (const [key, value] of Object.entries(patch)) {
    if (key.length === 0 || Buffer.byteLength(key) > MAX_KEY_BYTES) return `key '${key.slice(0, 40)}' is empty or over 1 KB`;
    // eslint-disable-next-line no-control-regex
    if (/[.$ \u0000-\u001f\u007f-\u009f]/.test(key)) return `key '${key}' contains '.', '$', space or a control character`;
    if (typeof value === 'string' && Buffer.byteLength(value) > MAX_STRING_BYTES) return `value of '${key}' is over 4 KB`;
    if (isPlainObject(value)) {
      const inner = twinPatchProblem(value, depth + 1);
      if (inner) return inner;
    }
  }
  return undefined;
}

interface TwinState {
  desired: Record<string, unknown>;
  desiredVersion: number;
  reported: Record<string, unknown>;
  reportedVersion: number;
}

/** Twins by `device/module`. Twin data is hub state: it survives connection drops and hub restarts. */
export class TwinStore {
  private readonly twins = new Map<string, TwinState>();

  ensure(id: string): void {
    if (!this.twins.has(id)) this.twins.set(id, { desired: {}, desiredVersion: 1, reported: {}, reportedVersion: 1 });
  }

  has(id: string): boolean {
    return this.twins.has(id);
  }

  delete(id: string): void {
    this.twins.delete(id);
  }

  /** The section versions, from which the service API derives the twin's `version` and etag. */
  versions(id: string): { desired: number; reported: number } {
    const twin = this.state(id);
    return { desired: twin.desiredVersion, reported: twin.reportedVersion };
  }

  /** A deep copy, each section carrying its `$version`. */
  get(id: string): TwinDocument {
    const twin = this.state(id);
    return {
      desired: { ...structuredClone(twin.desired), $version: twin.desiredVersion },
      reported: { ...structuredClone(twin.reported), $version: twin.reportedVersion },
    };
  }

  /** Applies a patch to one section and returns the new version; throws TwinUpdateError when it is invalid. */
  apply(id: string, section: TwinSection, patch: unknown): number {
    if (!isPlainObject(patch)) throw new TwinUpdateError(400, 400004, `${section} patch must be a JSON object`);
    const problem = twinPatchProblem(patch);
    if (problem) throw new TwinUpdateError(400, 400004, `invalid ${section} patch: ${problem}`);
    const twin = this.state(id);
    const merged = mergePatch(twin[section], patch);
    const size = twinSectionSize(merged);
    if (size > TWIN_SECTION_LIMIT) {
      throw new TwinUpdateError(400, 400004, `${section} properties would be ${size} bytes, over the ${TWIN_SECTION_LIMIT} byte limit`);
    }
    twin[section] = merged;
    if (section === 'desired') return ++twin.desiredVersion;
    return ++twin.reportedVersion;
  }

  private state(id: string): TwinState {
    const twin = this.twins.get(id);
    if (!twin) throw new Error(`no twin for module identity ${id}`);
    return twin;
  }
}
