/** The hub's identity registry: devices and their module identities with SAS keys. */
import { randomBytes } from 'node:crypto';

export const DEFAULT_MODULE_ID = 'DefenderIotMicroAgent';

export interface ModuleIdentity {
  deviceId: string;
  moduleId: string;
  primaryKey: string;
  /** HostName=<hubName>;DeviceId=..;ModuleId=..;SharedAccessKey=..;GatewayHostName=localhost:PORT */
  connectionString: string;
}

export function moduleKey(deviceId: string, moduleId: string): string {
  return `${deviceId}/${moduleId}`;
}

// Ids become MQTT topic levels and connection-string fields, so these characters would break both.
const FORBIDDEN_ID_CHARS = /[/;#+?\s]/;

export class ModuleIdentities {
  private readonly keys = new Map<string, { deviceId: string; moduleId: string; primaryKey: string }>();

  constructor(private readonly connectionString: (deviceId: string, moduleId: string, key: string) => string) {}

  /** Creates the identity (and implicitly its device); returns the existing one when it is already there. */
  create(deviceId: string, moduleId: string): ModuleIdentity {
    for (const id of [deviceId, moduleId]) {
      if (id.length === 0 || id.length > 128 || FORBIDDEN_ID_CHARS.test(id)) throw new Error(`invalid identity id '${id}'`);
    }
    const existing = this.keys.get(moduleKey(deviceId, moduleId));
    if (existing) return this.identity(existing);
    const entry = { deviceId, moduleId, primaryKey: randomBytes(32).toString('base64') };
    this.keys.set(moduleKey(deviceId, moduleId), entry);
    return this.identity(entry);
  }

  setKey(deviceId: string, moduleId: string, key: string): void {
    const entry = this.keys.get(moduleKey(deviceId, moduleId));
    if (!entry) throw new Error(`unknown module identity ${moduleKey(deviceId, moduleId)}`);
    entry.primaryKey = key;
  }

  keyOf(deviceId: string, moduleId: string): string | undefined {
    return this.keys.get(moduleKey(deviceId, moduleId))?.primaryKey;
  }

  has(deviceId: string, moduleId: string): boolean {
    return this.keys.has(moduleKey(deviceId, moduleId));
  }

  private identity(entry: { deviceId: string; moduleId: string; primaryKey: string }): ModuleIdentity {
    return { ...entry, connectionString: this.connectionString(entry.deviceId, entry.moduleId, entry.primaryKey) };
  }
}
