/** What the hub says about the module of each device: does it exist, is it connected, what did the agent answer. */
import { whereCondition, type FleetTarget } from './create-modules.js';
import { quoteLiteral, type Doc, type RegistryClient } from './registry-client.js';

export interface ModuleStatus {
  deviceId: string;
  /** false: the device has no such module (or, with deviceMissing, no such device) */
  exists: boolean;
  deviceMissing?: boolean;
  connectionState?: string;
  lastActivityTime?: string;
  latestState?: string;
  invalidFields?: string[];
  /** the reported section's $version, to tell a new answer from an old one */
  reportedVersion?: number;
}

function section(twin: Doc, name: 'desired' | 'reported'): Doc {
  const properties = twin['properties'];
  const value = typeof properties === 'object' && properties !== null ? (properties as Doc)[name] : undefined;
  return typeof value === 'object' && value !== null ? (value as Doc) : {};
}

/** The status from a module twin (which carries connection state and activity too). */
export function statusOfTwin(deviceId: string, twin: Doc): ModuleStatus {
  const reported = section(twin, 'reported');
  const status: ModuleStatus = { deviceId, exists: true };
  if (typeof twin['connectionState'] === 'string') status.connectionState = twin['connectionState'];
  if (typeof twin['lastActivityTime'] === 'string') status.lastActivityTime = twin['lastActivityTime'];
  if (typeof reported['latest_state'] === 'string') status.latestState = reported['latest_state'];
  const invalid = reported['latest_invalid_fields'];
  if (Array.isArray(invalid)) status.invalidFields = invalid.map(String);
  if (typeof reported['$version'] === 'number') status.reportedVersion = reported['$version'];
  return status;
}

export async function moduleStatusOfDevice(registry: RegistryClient, deviceId: string, moduleId: string): Promise<ModuleStatus> {
  const twin = await registry.getModuleTwin(deviceId, moduleId);
  if (twin) return statusOfTwin(deviceId, twin);
  const device = await registry.getDevice(deviceId);
  return device ? { deviceId, exists: false } : { deviceId, exists: false, deviceMissing: true };
}

/** The module twins of the target devices, by device id, with an `exists: false` entry for every device without one. */
export async function moduleStatuses(registry: RegistryClient, moduleId: string, target: FleetTarget): Promise<ModuleStatus[]> {
  if ('deviceId' in target) return [await moduleStatusOfDevice(registry, target.deviceId, moduleId)];
  const twins = new Map<string, Doc>();
  for await (const page of registry.query(`SELECT * FROM devices.modules WHERE moduleId = ${quoteLiteral(moduleId)}`)) {
    for (const m of page) if (typeof m['deviceId'] === 'string') twins.set(m['deviceId'], m);
  }
  const where = whereCondition(target.where);
  const statuses: ModuleStatus[] = [];
  for await (const page of registry.query(`SELECT * FROM devices${where ? ` WHERE ${where}` : ''}`)) {
    for (const d of page) {
      if (typeof d['deviceId'] !== 'string') continue;
      const twin = twins.get(d['deviceId']);
      statuses.push(twin ? statusOfTwin(d['deviceId'], twin) : { deviceId: d['deviceId'], exists: false });
    }
  }
  return statuses;
}

export interface StatusSummary {
  devices: number;
  withModule: number;
  withoutModule: number;
  connected: number;
  /** counts by reported latest_state; 'none' when the agent has not answered yet */
  states: Record<string, number>;
}

export function summarize(statuses: ModuleStatus[]): StatusSummary {
  const states: Record<string, number> = {};
  let withModule = 0;
  let connected = 0;
  for (const s of statuses) {
    if (!s.exists) continue;
    withModule++;
    if (s.connectionState === 'Connected') connected++;
    const state = s.latestState ?? 'none';
    states[state] = (states[state] ?? 0) + 1;
  }
  return { devices: statuses.length, withModule, withoutModule: statuses.length - withModule, connected, states };
}
