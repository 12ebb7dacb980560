/** What evaluating a desired patch or document yields, and how that is reported back to the twin. */
import type { DesiredRecord, InvalidKey } from './desired-validation.js';
import type { EffectiveConfig } from './twin-keys.js';

/** A validated configuration, ready to commit; computed against one state of the store. */
export interface Candidate {
  readonly desired: Readonly<DesiredRecord>;
  readonly effective: EffectiveConfig;
  readonly version: number | undefined;
  /** The store's state counter at evaluation time; commit refuses a candidate that is out of date. */
  readonly baseSeq: number;
}

export interface IgnoredEvaluation {
  readonly kind: 'ignored';
  /** stale-version: not newer than the last version seen; unchanged: a full read identical to the current one. */
  readonly reason: 'stale-version' | 'unchanged';
  readonly version: number | undefined;
}

export interface InvalidEvaluation {
  readonly kind: 'invalid';
  /** Exactly the offending top-level keys, sorted, unique; empty only when the patch is not an object. */
  readonly invalidFields: string[];
  readonly reasons: InvalidKey[];
  readonly version: number | undefined;
  /** The desired document the hub now holds (patch merged), undefined when the patch is not an object. */
  readonly merged: Readonly<DesiredRecord> | undefined;
  readonly baseSeq: number;
}

export interface ValidEvaluation {
  readonly kind: 'valid';
  readonly candidate: Candidate;
  /** Keys whose effective value changes, sorted. */
  readonly changedKeys: string[];
}

export type Evaluation = IgnoredEvaluation | InvalidEvaluation | ValidEvaluation;

export interface ReportedStatus {
  readonly latest_state: 'success' | 'failed';
  readonly latest_invalid_fields: string[];
}

/** The reported properties for an evaluation; undefined for an ignored one (nothing to report). */
export function reportedStatus(evaluation: ValidEvaluation | InvalidEvaluation): ReportedStatus;
export function reportedStatus(evaluation: Evaluation): ReportedStatus | undefined;
export function reportedStatus(evaluation: Evaluation): ReportedStatus | undefined {
  switch (evaluation.kind) {
    case 'ignored': return undefined;
    case 'valid': return { latest_state: 'success', latest_invalid_fields: [] };
    case 'invalid': return { latest_state: 'failed', latest_invalid_fields: [...evaluation.invalidFields] };
  }
}
