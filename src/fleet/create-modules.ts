/** hub create-module: adds the module identity to one device or to every device (matching a query) that lacks it. */
import type { Progress } from './progress.js';
import { BULK_LIMIT, quoteLiteral, type BulkEntry, type Doc, type RegistryClient } from './registry-client.js';

export type FleetTarget = { deviceId: string } | { where: string | undefined };

export interface CreateModulesOptions {
  registry: RegistryClient;
  moduleId: string;
  target: FleetTarget;
  /** seeds the new modules' desired properties (already validated) */
  desired?: Doc;
  progress?: Progress;
}

export interface FailedDevice {
  deviceId: string;
  reason: string;
}

export interface CreateModulesResult {
  devices: number;
  alreadyHad: number;
  created: number;
  failed: FailedDevice[];
}

/** The condition of a `--query "WHERE ..."`, without the WHERE; undefined when empty. */
export function whereCondition(query: string | undefined): string | undefined {
  const text = query?.trim().replace(/^where\s+/i, '').trim();
  return text === undefined || text === '' ? undefined : text;
}

export async function createModules(options: CreateModulesOptions): Promise<CreateModulesResult> {
  const { registry, moduleId } = options;
  let missing: string[];
  let devices: number;
  let alreadyHad = 0;
  const failed: FailedDevice[] = [];
  if ('deviceId' in options.target) {
    const deviceId = options.target.deviceId;
    devices = 1;
    if (await registry.getModule(deviceId, moduleId)) {
      alreadyHad = 1;
      missing = [];
    } else if (!(await registry.getDevice(deviceId))) {
      failed.push({ deviceId, reason: `DeviceNotFound: device ${deviceId} does not exist` });
      missing = [];
    } else {
      missing = [deviceId];
    }
  } else {
    // One query over devices.modules tells which devices have it, instead of one call per device.
    const have = new Set<string>();
    for await (const page of registry.query(`SELECT * FROM devices.modules WHERE moduleId = ${quoteLiteral(moduleId)}`)) {
      for (const m of page) if (typeof m['deviceId'] === 'string') have.add(m['deviceId']);
    }
    const where = whereCondition(options.target.where);
    missing = [];
    devices = 0;
    for await (const page of registry.query(`SELECT * FROM devices${where ? ` WHERE ${where}` : ''}`)) {
      for (const d of page) {
        if (typeof d['deviceId'] !== 'string') continue;
        devices++;
        if (have.has(d['deviceId'])) alreadyHad++;
        else missing.push(d['deviceId']);
      }
    }
  }
  options.progress?.setTotal(missing.length);
  let created = 0;
  for (let i = 0; i < missing.length; i += BULK_LIMIT) {
    const batch = missing.slice(i, i + BULK_LIMIT);
    const entries: BulkEntry[] = batch.map((id) => ({
      id, moduleId, importMode: 'create', authentication: { type: 'sas', symmetricKey: { primaryKey: '', secondaryKey: '' } },
      ...(options.desired ? { properties: { desired: options.desired } } : {}),
    }));
    const errors = await registry.bulk(entries);
    const failedHere = new Set<string>();
    for (const e of errors) {
      failedHere.add(e.deviceId);
      // Created meanwhile (another run, the portal): the goal is met.
      if (e.errorCode === 'ModuleAlreadyExistsOnDevice') alreadyHad++;
      else failed.push({ deviceId: e.deviceId, reason: `${e.errorCode}: ${e.errorStatus}` });
    }
    created += batch.filter((id) => !failedHere.has(id)).length;
    options.progress?.advance(batch.length);
  }
  options.progress?.finish();
  return { devices, alreadyHad, created, failed };
}
