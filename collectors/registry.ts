/** Every built-in collector, by its twin name. One literal map: no import side effects, no mutable state. */
import { createBaselineCollector } from './baseline/index.js';
import { createConnectedHardwareCollector } from './connected-hardware/index.js';
import { createConnectionCollector } from './connection/index.js';
import { createContainersCollector } from './containers/index.js';
import { createFirewallCollector } from './firewall/index.js';
import { createHeartbeatCollector } from './heartbeat/index.js';
import { createLocalUsersCollector } from './local-users/index.js';
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
  Baseline: createBaselineCollector,
  LocalUsers: createLocalUsersCollector,
  FirewallConfiguration: createFirewallCollector,
  Peripheral: createConnectedHardwareCollector,
  Containers: createContainersCollector,
} as const satisfies Record<string, CollectorFactory>;

export type BuiltInCollectorName = keyof typeof builtInCollectors;
