/** The twin configuration contract: schema, validation, the store and the validate-config command. */
export { COLLECTOR_NAMES, TWIN_KEYS, collectorOfKey } from './twin-keys.js';
export type { CollectorName, DesiredDoc, EffectiveConfig, MessageFrequency, ProcessMode, TwinKey } from './twin-keys.js';
export { twinSchema, twinSchemaPath } from './twin-schema.js';
export type { CompiledTwinSchema, PropertySchema } from './twin-schema.js';
export { checkPriorityIntervals, parsePriorityIntervals } from './priority-intervals.js';
export type { PriorityIntervals, PriorityIntervalsCheck } from './priority-intervals.js';
export { IGNORED_DESIRED_KEYS, boundKey, toDesiredRecord, validateDesired } from './desired-validation.js';
export type { DesiredRecord, DesiredValidation, InvalidKey } from './desired-validation.js';
export { reportedStatus } from './evaluation.js';
export type { Candidate, Evaluation, IgnoredEvaluation, InvalidEvaluation, ReportedStatus, ValidEvaluation } from './evaluation.js';
export { TwinConfigStore, changedCollectors } from './twin-config-store.js';
export type { CollectorSupport, CommitResult, TwinConfigStoreOptions } from './twin-config-store.js';
export { TWIN_CONFIG_FILE, twinConfigPath } from './twin-config-persistence.js';
export { desiredSection, validateConfigCommand, validateDesiredDocument } from './validate-config-command.js';
