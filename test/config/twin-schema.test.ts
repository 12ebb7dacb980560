import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_NAMES, TWIN_KEYS, collectorOfKey } from '../../src/config/twin-keys.js';
import { twinSchema } from '../../src/config/twin-schema.js';
import { findPackageRoot } from '../../src/package-root.js';
import { validateDesired } from '../../src/config/desired-validation.js';

/** The defaults of reference/micro-agent-spec.md section 1, written out by hand, plus our extensions. */
const DOCUMENTED_DEFAULTS: Record<string, unknown> = {
  CollectorsCore_PriorityIntervals: '30,120,1440',
  Baseline_Disabled: false, Baseline_MessageFrequency: 'Low', Baseline_GroupsDisabled: '', Baseline_ChecksDisabled: '',
  SystemInformation_Disabled: false, SystemInformation_MessageFrequency: 'Low',
  SystemInformation_HardwareVendor: '', SystemInformation_HardwareModel: '', SystemInformation_HardwareSerialNumber: '',
  SystemInformation_FirmwareVendor: '', SystemInformation_FirmwareVersion: '',
  SBoM_Disabled: false, SBoM_MessageFrequency: 'Low', SBoM_FullInventoryInterval: 24,
  Heartbeat_Disabled: false, Heartbeat_MessageFrequency: 'Low',
  Login_Disabled: false, Login_MessageFrequency: 'Medium', Login_UsePAM: false, Login_CacheSize: 256,
  NetworkActivity_Disabled: false, NetworkActivity_MessageFrequency: 'Medium', NetworkActivity_Devices: 'eth0',
  NetworkActivity_CacheSize: 256, NetworkActivity_PacketBufferSize: 2097152,
  NetworkActivity_PollingInterval: 1000000, NetworkActivity_IncludeLoopback: false,
  Process_Disabled: false, Process_MessageFrequency: 'Medium', Process_PollingInterval: 100000, Process_Mode: 1,
  Process_CacheSize: 256,
  LogCollector_Disabled: false, LogCollector_MessageFrequency: 'Low',
  FileSystem_Disabled: false, FileSystem_MessageFrequency: 'Low', FileSystem_Recursive: true, FileSystem_Paths: '',
  FileSystem_CacheSize: 256,
  Peripheral_Disabled: false, Peripheral_MessageFrequency: 'Low', Peripheral_CacheSize: 256,
  Statistics_Disabled: false, Statistics_MessageFrequency: 'Low', Statistics_CacheSize: 256,
  IothubModule_MessageTimeout: 2880,
  Containers_Disabled: false, Containers_MessageFrequency: 'Medium', Containers_CacheSize: 256, Containers_DockerSocket: '',
  Containers_AnalysisDisabled: false,
};

/** The verbatim desired example of the micro agent documentation ([D-TWIN]). */
const DOCUMENTED_EXAMPLE = {
  Baseline_Disabled: false, Baseline_MessageFrequency: 'Low', Baseline_GroupsDisabled: '', Baseline_ChecksDisabled: '',
  SystemInformation_Disabled: false, SystemInformation_MessageFrequency: 'Low', SBoM_Disabled: false,
  SBoM_MessageFrequency: 'Low', NetworkActivity_Disabled: false, NetworkActivity_MessageFrequency: 'Medium',
  NetworkActivity_Devices: 'eth0', NetworkActivity_CacheSize: 256, Process_Disabled: false,
  Process_MessageFrequency: 'Medium', Process_PollingInterval: 100000, Process_Mode: 1, Process_CacheSize: 256,
  LogCollector_Disabled: false, LogCollector_MessageFrequency: 'Low', Heartbeat_Disabled: false,
  Heartbeat_MessageFrequency: 'Low', Login_Disabled: false, Login_MessageFrequency: 'Medium',
  IothubModule_MessageTimeout: 2880, CollectorsCore_PriorityIntervals: '30,120,1440',
};

describe('twin desired schema', () => {
  it('has exactly the documented keys with the documented defaults', () => {
    expect({ ...twinSchema().defaults }).toEqual(DOCUMENTED_DEFAULTS);
  });

  it('lists the same keys as the EffectiveConfig type', () => {
    expect([...twinSchema().keys].sort()).toEqual([...TWIN_KEYS].sort());
  });

  it('gives every key a description, and the per-collector keys to every collector', () => {
    for (const [key, prop] of Object.entries(twinSchema().schema.properties)) {
      expect(prop.description.length, key).toBeGreaterThan(10);
      if (key !== 'CollectorsCore_PriorityIntervals' && key !== 'IothubModule_MessageTimeout') {
        expect(collectorOfKey(key), key).toBeDefined();
      }
    }
    for (const c of COLLECTOR_NAMES) {
      expect(twinSchema().keys).toContain(`${c}_Disabled`);
      expect(twinSchema().keys).toContain(`${c}_MessageFrequency`);
    }
  });

  it('accepts the documented example twin and the defaults themselves', () => {
    expect(validateDesired(DOCUMENTED_EXAMPLE)).toEqual({ valid: true });
    expect(validateDesired({ ...twinSchema().defaults })).toEqual({ valid: true });
  });

  it('keeps every string under the hub 4 KB value limit and every bound a safe integer', () => {
    for (const [key, prop] of Object.entries(twinSchema().schema.properties)) {
      if (prop.type === 'string' && prop.enum === undefined) expect(prop.maxLength, key).toBeLessThanOrEqual(4096);
      if (prop.type === 'integer' && prop.enum === undefined) {
        expect(Number.isSafeInteger(prop.minimum) && (prop.minimum ?? 0) > 0, key).toBe(true);
        expect(Number.isSafeInteger(prop.maximum), key).toBe(true);
      }
    }
  });

  it('finds the package root (and so config-schema/) from a module three levels deep, as in dist/src/config', () => {
    const root = mkdtempSync(join(tmpdir(), 'schema-root-'));
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'dist', 'src', 'config'), { recursive: true });
    const moduleUrl = pathToFileURL(join(root, 'dist', 'src', 'config', 'twin-schema.js')).href;
    expect(findPackageRoot(moduleUrl)).toBe(root);
  });
});
