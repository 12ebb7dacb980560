/** Every built-in collector, by its twin name. One literal map: no import side effects, no mutable state. */
import { createConnectionCollector } from './connection/index.js';
import { createHeartbeatCollector } from './heartbeat/index.js';
import { createLoginCollector } from './login/index.js';
import { createProcessCollector } from './process/index.js';
import { createSbomCollector } from './sbom/index.js';
import { createSystemInformationCollector } from './system-information/index.js';
import type { CollectorFactory } from './types.js';

export const builtInCollectors = {
  Heartbeat: createHeartbeatCollector,
  SystemInformation: createSystemInformationCollector,
  Process: createProcessCollector,
  Login: createLoginCollector,
  NetworkActivity: createConnectionCollector,
  SBoM: createSbomCollector,
} as const satisfies Record<string, CollectorFactory>;

export type BuiltInCollectorName = keyof typeof builtInCollectors;
