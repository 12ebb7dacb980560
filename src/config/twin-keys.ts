/** The twin desired keys as TypeScript types; config-schema/twin-desired.schema.json is the source of truth. */

/** Every collector that has keys in the twin, whether or not this agent implements it yet. */
export const COLLECTOR_NAMES = [
  'Baseline', 'SystemInformation', 'SBoM', 'Heartbeat', 'Login', 'NetworkActivity', 'Process',
  'LogCollector', 'FileSystem', 'Peripheral', 'Statistics', 'Containers',
] as const;

export type CollectorName = (typeof COLLECTOR_NAMES)[number];

export type MessageFrequency = 'Low' | 'Medium' | 'High';

/** 1 Auto (Netlink, falling back to Polling), 2 Netlink, 3 Polling. */
export type ProcessMode = 1 | 2 | 3;

/** Every key with its value after schema defaults < twinDefaults < twin desired. */
export interface EffectiveConfig {
  readonly CollectorsCore_PriorityIntervals: string;
  readonly Baseline_Disabled: boolean;
  readonly Baseline_MessageFrequency: MessageFrequency;
  readonly Baseline_GroupsDisabled: string;
  readonly Baseline_ChecksDisabled: string;
  readonly SystemInformation_Disabled: boolean;
  readonly SystemInformation_MessageFrequency: MessageFrequency;
  readonly SystemInformation_HardwareVendor: string;
  readonly SystemInformation_HardwareModel: string;
  readonly SystemInformation_HardwareSerialNumber: string;
  readonly SystemInformation_FirmwareVendor: string;
  readonly SystemInformation_FirmwareVersion: string;
  readonly SBoM_Disabled: boolean;
  readonly SBoM_MessageFrequency: MessageFrequency;
  readonly SBoM_FullInventoryInterval: number;
  readonly Heartbeat_Disabled: boolean;
  readonly Heartbeat_MessageFrequency: MessageFrequency;
  readonly Login_Disabled: boolean;
  readonly Login_MessageFrequency: MessageFrequency;
  readonly Login_CacheSize: number;
  readonly Login_UsePAM: boolean;
  readonly NetworkActivity_Disabled: boolean;
  readonly NetworkActivity_MessageFrequency: MessageFrequency;
  readonly NetworkActivity_CacheSize: number;
  readonly NetworkActivity_Devices: string;
  readonly NetworkActivity_PacketBufferSize: number;
  readonly NetworkActivity_PollingInterval: number;
  readonly NetworkActivity_IncludeLoopback: boolean;
  readonly Process_Disabled: boolean;
  readonly Process_MessageFrequency: MessageFrequency;
  readonly Process_CacheSize: number;
  readonly Process_PollingInterval: number;
  readonly Process_Mode: ProcessMode;
  readonly LogCollector_Disabled: boolean;
  readonly LogCollector_MessageFrequency: MessageFrequency;
  readonly FileSystem_Disabled: boolean;
  readonly FileSystem_MessageFrequency: MessageFrequency;
  readonly FileSystem_CacheSize: number;
  readonly FileSystem_Paths: string;
  readonly FileSystem_Recursive: boolean;
  readonly Peripheral_Disabled: boolean;
  readonly Peripheral_MessageFrequency: MessageFrequency;
  readonly Peripheral_CacheSize: number;
  readonly Statistics_Disabled: boolean;
  readonly Statistics_MessageFrequency: MessageFrequency;
  readonly Statistics_CacheSize: number;
  readonly IothubModule_MessageTimeout: number;
  readonly Containers_Disabled: boolean;
  readonly Containers_MessageFrequency: MessageFrequency;
  readonly Containers_CacheSize: number;
  readonly Containers_DockerSocket: string;
  readonly Containers_AnalysisDisabled: boolean;
}

export type TwinKey = keyof EffectiveConfig;

/** Every key once; `satisfies` makes tsc fail when this list and EffectiveConfig drift, a test compares it with the schema. */
const KEY_SET = {
  CollectorsCore_PriorityIntervals: true,
  Baseline_Disabled: true, Baseline_MessageFrequency: true, Baseline_GroupsDisabled: true, Baseline_ChecksDisabled: true,
  SystemInformation_Disabled: true, SystemInformation_MessageFrequency: true, SystemInformation_HardwareVendor: true,
  SystemInformation_HardwareModel: true, SystemInformation_HardwareSerialNumber: true, SystemInformation_FirmwareVendor: true,
  SystemInformation_FirmwareVersion: true,
  SBoM_Disabled: true, SBoM_MessageFrequency: true, SBoM_FullInventoryInterval: true,
  Heartbeat_Disabled: true, Heartbeat_MessageFrequency: true,
  Login_Disabled: true, Login_MessageFrequency: true, Login_CacheSize: true, Login_UsePAM: true,
  NetworkActivity_Disabled: true, NetworkActivity_MessageFrequency: true, NetworkActivity_CacheSize: true,
  NetworkActivity_Devices: true, NetworkActivity_PacketBufferSize: true, NetworkActivity_PollingInterval: true,
  NetworkActivity_IncludeLoopback: true,
  Process_Disabled: true, Process_MessageFrequency: true, Process_CacheSize: true, Process_PollingInterval: true, Process_Mode: true,
  LogCollector_Disabled: true, LogCollector_MessageFrequency: true,
  FileSystem_Disabled: true, FileSystem_MessageFrequency: true, FileSystem_CacheSize: true, FileSystem_Paths: true,
  FileSystem_Recursive: true,
  Peripheral_Disabled: true, Peripheral_MessageFrequency: true, Peripheral_CacheSize: true,
  Statistics_Disabled: true, Statistics_MessageFrequency: true, Statistics_CacheSize: true,
  IothubModule_MessageTimeout: true,
  Containers_Disabled: true, Containers_MessageFrequency: true, Containers_CacheSize: true, Containers_DockerSocket: true,
  Containers_AnalysisDisabled: true,
} as const satisfies Record<TwinKey, true>;

export const TWIN_KEYS: readonly TwinKey[] = Object.freeze(Object.keys(KEY_SET) as TwinKey[]);

/** A desired document as accepted: a subset of the keys, own properties only. */
export type DesiredDoc = Readonly<Partial<Record<TwinKey, unknown>>>;

/** Collector a key belongs to (its prefix before `_`), or undefined for core and hub keys. */
export function collectorOfKey(key: string): CollectorName | undefined {
  const prefix = key.slice(0, Math.max(0, key.indexOf('_')));
  return (COLLECTOR_NAMES as readonly string[]).includes(prefix) ? (prefix as CollectorName) : undefined;
}
