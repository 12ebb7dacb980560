/** The twin configuration: schema defaults < twinDefaults < twin desired, evaluated purely, committed explicitly. */
import type { Logger } from 'pino';
import {
  boundKey, toDesiredRecord, validateDesired, type DesiredRecord, type InvalidKey,
} from './desired-validation.js';
import type { Candidate, Evaluation, InvalidEvaluation } from './evaluation.js';
import { parsePriorityIntervals, type PriorityIntervals } from './priority-intervals.js';
import { readPersistedTwinConfig, writePersistedTwinConfig } from './twin-config-persistence.js';
import { COLLECTOR_NAMES, type CollectorName, type EffectiveConfig } from './twin-keys.js';
import { twinSchema, type CompiledTwinSchema } from './twin-schema.js';

export interface TwinConfigStoreOptions {
  readonly stateDir: string | undefined;
  /** Device-side defaults from the local config file; invalid keys are dropped with a warning. */
  readonly twinDefaults: Record<string, unknown>;
  readonly log: Logger;
  /** The built-in schema by default; the agent passes one composed with its custom collectors' keys. */
  readonly schema?: CompiledTwinSchema;
  /** Collectors with keys in that schema; default the built-in COLLECTOR_NAMES. */
  readonly collectorNames?: readonly string[];
}

export interface CommitResult {
  readonly committed: boolean;
  readonly persisted: boolean;
}

export interface CollectorSupport {
  readonly implemented: readonly CollectorName[];
  readonly unsupported: readonly CollectorName[];
  /** Unsupported collectors that the effective config leaves enabled: worth reporting. */
  readonly unsupportedEnabled: readonly CollectorName[];
  /** Names passed in that are not twin collectors. */
  readonly unknown: readonly string[];
}

const PRIORITY_KEY = 'CollectorsCore_PriorityIntervals';

/** A collector's keys that only the pipeline reads (its aggregation cache and send priority): no restart. */
const PIPELINE_ONLY_KEY = /_(CacheSize|MessageFrequency)$/;

/**
 * Collectors whose settings changed; the priority intervals affect them all. Core and hub keys map to none, nor
 * do cache sizes and message frequencies, which the pipeline applies (a restart under load can take seconds).
 */
export function changedCollectors(changedKeys: readonly string[], names: readonly string[] = COLLECTOR_NAMES): ReadonlySet<string> {
  if (changedKeys.includes(PRIORITY_KEY)) return new Set<string>(names);
  const restarting = changedKeys.filter((key) => !PIPELINE_ONLY_KEY.test(key));
  return new Set<string>(names.filter((name) => restarting.some((key) => key.startsWith(`${name}_`))));
}

function own(doc: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(doc, key) ? doc[key] : undefined;
}

function nullProto(): DesiredRecord {
  return Object.create(null) as DesiredRecord;
}

function copyDoc(doc: Readonly<DesiredRecord>): DesiredRecord {
  const out = nullProto();
  for (const key of Object.keys(doc)) out[key] = doc[key];
  return out;
}

function sameDoc(a: Readonly<DesiredRecord>, b: Readonly<DesiredRecord>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/** A version from the argument, else from the document's own $version; only non-negative safe integers count. */
function resolveVersion(version: number | undefined, doc: unknown): number | undefined {
  if (version !== undefined) return Number.isSafeInteger(version) && version >= 0 ? version : undefined;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const raw = own(doc as Record<string, unknown>, '$version');
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
}

export class TwinConfigStore {
  private readonly stateDir: string | undefined;
  private readonly log: Logger;
  private readonly schema: CompiledTwinSchema;
  private readonly collectorNames: readonly string[];
  /** Schema defaults overlaid with the valid twinDefaults. */
  private readonly base: Readonly<Record<string, unknown>>;
  private readonly defaultsInvalid: readonly InvalidKey[];
  private accepted: Readonly<DesiredRecord> = Object.freeze(nullProto());
  /** What the hub holds as far as we know: equals `accepted` unless a rejected document was recorded. */
  private hubView: Readonly<DesiredRecord> = this.accepted;
  private version: number | undefined;
  /** The version came from the state file, maybe from an older module identity: a full read may go back. */
  private versionFromDisk = false;
  private current: EffectiveConfig;
  private seq = 0;

  constructor(opts: TwinConfigStoreOptions) {
    this.stateDir = opts.stateDir;
    this.log = opts.log;
    this.schema = opts.schema ?? twinSchema();
    this.collectorNames = opts.collectorNames ?? COLLECTOR_NAMES;
    const base = copyDoc(this.schema.defaults);
    const defaults = toDesiredRecord(opts.twinDefaults);
    const validation = defaults === undefined
      ? { valid: false as const, invalidFields: [], reasons: [{ key: '', reason: 'twinDefaults must be an object' }] }
      : validateDesired(defaults, this.schema);
    this.defaultsInvalid = validation.valid ? [] : validation.reasons;
    for (const r of this.defaultsInvalid) {
      this.log.warn({ key: boundKey(r.key), reason: r.reason }, 'ignoring invalid twinDefaults key');
    }
    const bad = new Set(validation.valid ? [] : validation.invalidFields);
    for (const key of Object.keys(defaults ?? {})) if (!bad.has(key) && defaults) base[key] = defaults[key];
    this.base = Object.freeze(base);
    this.current = this.effectiveOf(this.accepted);
  }

  /** A store with the persisted accepted document, so the agent runs with it before the hub is reached. */
  static load(opts: TwinConfigStoreOptions): TwinConfigStore {
    const store = new TwinConfigStore(opts);
    if (opts.stateDir === undefined) return store;
    const read = readPersistedTwinConfig(opts.stateDir, store.schema);
    if (read.kind === 'corrupt') {
      opts.log.warn({ stateDir: opts.stateDir, reason: read.reason }, 'persisted twin configuration ignored, using defaults');
    } else if (read.kind === 'ok') {
      store.accepted = Object.freeze(read.value.desired);
      store.hubView = store.accepted;
      store.version = read.value.version;
      store.versionFromDisk = read.value.version !== undefined;
      store.current = store.effectiveOf(store.accepted);
    }
    return store;
  }

  effective(): EffectiveConfig {
    return this.current;
  }

  /** The accepted desired document (a copy). */
  desired(): Record<string, unknown> {
    return { ...this.accepted };
  }

  lastVersion(): number | undefined {
    return this.version;
  }

  priorityIntervals(): PriorityIntervals {
    return parsePriorityIntervals(this.current.CollectorsCore_PriorityIntervals);
  }

  /** The twinDefaults keys that were dropped as invalid. */
  defaultsProblems(): readonly InvalidKey[] {
    return this.defaultsInvalid;
  }

  /** Merges a desired patch (null removes a key) and validates the whole result; changes nothing. */
  evaluatePatch(patch: unknown, version?: number): Evaluation {
    const v = resolveVersion(version, patch);
    if (v !== undefined && this.version !== undefined && v <= this.version) {
      return { kind: 'ignored', reason: 'stale-version', version: v };
    }
    const changes = toDesiredRecord(patch);
    if (changes === undefined) return this.notAnObject(v, 'the desired patch must be a JSON object');
    // Merged into the document the hub holds (rejected keys included): the answer depends on that document
    // alone, the same as a full read after a reconnect would give, and a bad key stays failed until removed.
    const merged = copyDoc(this.hubView);
    for (const key of Object.keys(changes)) {
      if (changes[key] === null) delete merged[key];
      else merged[key] = changes[key];
    }
    return this.evaluateMerged(merged, v);
  }

  /**
   * Replaces the desired document with a full read. Ignored when older than the last version seen (unless that
   * version only came from the state file), or when the version is equal and the content identical; an equal
   * version with different content is evaluated, since the hub is authoritative.
   */
  evaluateFull(desired: unknown, version?: number): Evaluation {
    const v = resolveVersion(version, desired);
    const doc = toDesiredRecord(desired);
    if (doc === undefined) return this.notAnObject(v, 'the desired document must be a JSON object');
    for (const key of Object.keys(doc)) if (doc[key] === null) delete doc[key]; // the hub stores no nulls
    if (v !== undefined && this.version !== undefined) {
      if (v < this.version && !this.versionFromDisk) return { kind: 'ignored', reason: 'stale-version', version: v };
      if (v === this.version && sameDoc(doc, this.hubView)) return { kind: 'ignored', reason: 'unchanged', version: v };
    }
    return this.evaluateMerged(doc, v);
  }

  /** Makes a valid candidate current, in memory; persist() writes it once it has been applied. */
  commit(candidate: Candidate): CommitResult {
    if (candidate.baseSeq !== this.seq) {
      this.log.warn({ version: candidate.version }, 'twin configuration candidate is out of date, not committed');
      return { committed: false, persisted: false };
    }
    this.seq += 1;
    this.accepted = candidate.desired;
    this.hubView = candidate.desired;
    this.current = candidate.effective;
    if (candidate.version !== undefined) {
      this.version = candidate.version;
      this.versionFromDisk = false;
    }
    return { committed: true, persisted: this.persist() };
  }

  /** Writes the accepted document to the state dir; a failure is logged, not fatal. */
  persist(): boolean {
    if (this.stateDir === undefined) return false;
    try {
      writePersistedTwinConfig(this.stateDir, { desired: copyDoc(this.accepted), version: this.version });
      return true;
    } catch (error) {
      this.log.warn({ stateDir: this.stateDir, reason: (error as Error).message }, 'could not persist twin configuration');
      return false;
    }
  }

  /**
   * Records that the hub now holds a rejected document, so the next patch is merged into what the hub holds
   * (its invalid keys stay reported until fixed) and its version counts as seen. The running config stays.
   */
  recordRejected(evaluation: InvalidEvaluation): void {
    if (evaluation.baseSeq !== this.seq) return;
    this.seq += 1;
    if (evaluation.merged !== undefined) this.hubView = evaluation.merged;
    if (evaluation.version !== undefined) {
      this.version = evaluation.version;
      this.versionFromDisk = false;
    }
  }

  changedCollectors(changedKeys: readonly string[]): ReadonlySet<string> {
    return changedCollectors(changedKeys, this.collectorNames);
  }

  /** Which twin collectors this agent implements, given their names; the rest are reported as unsupported. */
  collectorSupport(implementedNames: readonly string[]): CollectorSupport {
    const names = new Set(implementedNames);
    const implemented = COLLECTOR_NAMES.filter((c) => names.has(c));
    const unsupported = COLLECTOR_NAMES.filter((c) => !names.has(c));
    const flags = this.current as unknown as Readonly<Record<string, unknown>>;
    return {
      implemented,
      unsupported,
      unsupportedEnabled: unsupported.filter((c) => flags[`${c}_Disabled`] !== true),
      unknown: [...names].filter((n) => !(COLLECTOR_NAMES as readonly string[]).includes(n)).sort(),
    };
  }

  private notAnObject(version: number | undefined, reason: string): InvalidEvaluation {
    this.log.warn({ reason }, 'twin desired update rejected');
    return { kind: 'invalid', invalidFields: [], reasons: [{ key: '', reason }], version, merged: undefined, baseSeq: this.seq };
  }

  private evaluateMerged(merged: DesiredRecord, version: number | undefined): Evaluation {
    const validation = validateDesired(merged, this.schema);
    if (!validation.valid) {
      for (const r of validation.reasons) this.log.warn({ key: boundKey(r.key), reason: r.reason }, 'invalid twin desired key');
      return {
        kind: 'invalid', invalidFields: validation.invalidFields, reasons: validation.reasons, version,
        merged: Object.freeze(merged), baseSeq: this.seq,
      };
    }
    const effective = this.effectiveOf(merged);
    const before = this.current as unknown as Readonly<Record<string, unknown>>;
    const after = effective as unknown as Readonly<Record<string, unknown>>;
    const changedKeys = this.schema.keys.filter((k) => before[k] !== after[k]).sort();
    return {
      kind: 'valid',
      candidate: { desired: Object.freeze(merged), effective, version, baseSeq: this.seq },
      changedKeys,
    };
  }

  /** Only called on validated documents, so every key has a value of its schema type. */
  private effectiveOf(desired: Readonly<DesiredRecord>): EffectiveConfig {
    const out: Record<string, unknown> = {};
    for (const key of this.schema.keys) {
      const value = own(desired, key);
      out[key] = value === undefined ? this.base[key] : value;
    }
    return Object.freeze(out) as unknown as EffectiveConfig;
  }
}
