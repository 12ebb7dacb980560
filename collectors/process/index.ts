/** The Process collector: ProcessCreate / ProcessTerminate by polling `<hostRoot>/proc`. */
import type { CollectorFactory } from '../types.js';
import { ProcessCollector } from './process-collector.js';

export const createProcessCollector: CollectorFactory = (options) => new ProcessCollector(options);

export { snapshotProcesses, type SnapshotOptions } from './snapshot.js';
export type { ProcessInfo } from './proc-reader.js';
export { MAX_COMMAND_LINE_BYTES } from './proc-reader.js';
export { EXIT_STATUS_UNKNOWN } from './process-events.js';
