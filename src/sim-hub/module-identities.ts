/** The hub's identity registry: devices and their module identities with SAS keys. */
import { randomBytes, randomUUID } from 'node:crypto';

export { DEFAULT_MODULE_ID } from '../fleet/module-id.js';

export interface ModuleIdentity {
  deviceId: string;
  moduleId: string;
  primaryKey: string;
  /** HostName=<hubName>;DeviceId=..;ModuleId=..;SharedAccessKey=..;GatewayHostName=localhost:PORT */
  connectionString: string;
}

/** What the service API shows of a device or module: ids, keys and the registry's bookkeeping. */
export interface IdentityRecord {
  deviceId: string;
  moduleId?: string;
  primaryKey: string;
  secondaryKey: string;
  generationId: string;
  /** bumped on every update of the identity; shown base64-encoded as the etag */
  revision: number;
  createdAt: string;
}

/** A module identity that appeared or went away, for listeners such as the web console. */
export interface IdentityChange {
  deviceId: string;
  moduleId: string;
  change: 'added' | 'deleted';
}

export function moduleKey(deviceId: string, moduleId: string): string {
  return `${deviceId}/${moduleId}`;
}

// Ids become MQTT topic levels and connection-string fields, so these characters would break both.
const FORBIDDEN_ID_CHARS = /[/;#+?\s]/;

export function identityIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.length === 0 || id.length > 128 || FORBIDDEN_ID_CHARS.test(id)) {
    return `invalid identity id '${String(id).slice(0, 140)}'`;
  }
  return undefined;
}

function newRecord(deviceId: string, moduleId: string | undefined, key?: string): IdentityRecord {
  const record: IdentityRecord = {
    deviceId,
    primaryKey: key ?? randomBytes(32).toString('base64'),
    secondaryKey: randomBytes(32).toString('base64'),
    generationId: randomUUID(),
    revision: 1,
    createdAt: new Date().toISOString(),
  };
  if (moduleId !== undefined) record.moduleId = moduleId;
  return record;
}

export class ModuleIdentities {
  private readonly devicesById = new Map<string, IdentityRecord>();
  private readonly modules = new Map<string, IdentityRecord>();

  constructor(
    private readonly connectionString: (deviceId: string, moduleId: string, key: string) => string,
    private readonly onChange: (change: IdentityChange) => void = () => undefined,
  ) {}

  /** Creates the identity (and implicitly its device); returns the existing one when it is already there. */
  create(deviceId: string, moduleId: string, key?: string): ModuleIdentity {
    for (const id of [deviceId, moduleId]) {
      const problem = identityIdProblem(id);
      if (problem) throw new Error(problem);
    }
    const existing = this.modules.get(moduleKey(deviceId, moduleId));
    if (existing) return this.identity(existing);
    this.createDevice(deviceId);
    const entry = newRecord(deviceId, moduleId, key);
    this.modules.set(moduleKey(deviceId, moduleId), entry);
    this.onChange({ deviceId, moduleId, change: 'added' });
    return this.identity(entry);
  }

  /** Creates a device identity; returns the existing record when it is already there. */
  createDevice(deviceId: string): IdentityRecord {
    const problem = identityIdProblem(deviceId);
    if (problem) throw new Error(problem);
    let record = this.devicesById.get(deviceId);
    if (!record) {
      record = newRecord(deviceId, undefined);
      this.devicesById.set(deviceId, record);
    }
    return record;
  }

  device(deviceId: string): IdentityRecord | undefined {
    return this.devicesById.get(deviceId);
  }

  module(deviceId: string, moduleId: string): IdentityRecord | undefined {
    return this.modules.get(moduleKey(deviceId, moduleId));
  }

  /** Every device, in insertion order. */
  devices(): IterableIterator<IdentityRecord> {
    return this.devicesById.values();
  }

  /** Every module identity, in insertion order. */
  allModules(): IterableIterator<IdentityRecord> {
    return this.modules.values();
  }

  modulesOf(deviceId: string): IdentityRecord[] {
    return [...this.modules.values()].filter((m) => m.deviceId === deviceId);
  }

  deleteModule(deviceId: string, moduleId: string): boolean {
    const deleted = this.modules.delete(moduleKey(deviceId, moduleId));
    if (deleted) this.onChange({ deviceId, moduleId, change: 'deleted' });
    return deleted;
  }

  /** The identity with its connection string, when the module exists. */
  identityOf(deviceId: string, moduleId: string): ModuleIdentity | undefined {
    const entry = this.modules.get(moduleKey(deviceId, moduleId));
    return entry ? this.identity(entry) : undefined;
  }

  /** Removes the device and every module identity on it; returns the removed module ids. */
  deleteDevice(deviceId: string): string[] {
    const removed = this.modulesOf(deviceId).map((m) => m.moduleId ?? '');
    for (const moduleId of removed) this.deleteModule(deviceId, moduleId);
    this.devicesById.delete(deviceId);
    return removed;
  }

  setKey(deviceId: string, moduleId: string, key: string): void {
    const entry = this.modules.get(moduleKey(deviceId, moduleId));
    if (!entry) throw new Error(`unknown module identity ${moduleKey(deviceId, moduleId)}`);
    entry.primaryKey = key;
    entry.revision++;
  }

  keyOf(deviceId: string, moduleId: string): string | undefined {
    return this.modules.get(moduleKey(deviceId, moduleId))?.primaryKey;
  }

  has(deviceId: string, moduleId: string): boolean {
    return this.modules.has(moduleKey(deviceId, moduleId));
  }

  private identity(entry: IdentityRecord): ModuleIdentity {
    const moduleId = entry.moduleId ?? '';
    return {
      deviceId: entry.deviceId, moduleId, primaryKey: entry.primaryKey,
      connectionString: this.connectionString(entry.deviceId, moduleId, entry.primaryKey),
    };
  }
}
