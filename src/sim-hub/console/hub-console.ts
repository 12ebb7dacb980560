/** Wires the web console to one simulated hub: its service, registry, twins and events (kept out of simulated-hub.ts). */
import type { Logger } from 'pino';
import { createModules, type CreateModulesResult } from '../../fleet/create-modules.js';
import { RegistryClient } from '../../fleet/registry-client.js';
import { ServiceClient } from '../../fleet/service-client.js';
import { parseServiceConnectionString } from '../../fleet/service-connection.js';
import { DEFAULT_MODULE_ID, type ModuleIdentities } from '../module-identities.js';
import type { SimulatedHub } from '../simulated-hub.js';
import { WebConsole } from './web-console.js';

export interface HubConsoleOptions {
  hub: SimulatedHub;
  identities: ModuleIdentities;
  token: string | undefined;
  log: Logger;
}

export function createHubConsole({ hub, identities, token, log }: HubConsoleOptions): WebConsole {
  return new WebConsole({
    ...(token === undefined ? {} : { token }),
    log,
    events: hub,
    twin: (deviceId, moduleId) => hub.getTwin(deviceId, moduleId),
    view: {
      service: hub.service,
      *deviceIds() {
        for (const d of identities.devices()) yield d.deviceId;
      },
      hasModule: (deviceId, moduleId) => identities.has(deviceId, moduleId),
      connectionString: (deviceId, moduleId) => identities.identityOf(deviceId, moduleId)?.connectionString,
      addAgentModules: () => addAgentModules(hub),
    },
  });
}

/** Exactly `hub create-module --all-devices`: the fleet code over the hub's own service API, with its policy. */
async function addAgentModules(hub: SimulatedHub): Promise<CreateModulesResult> {
  const service = new ServiceClient({
    connection: parseServiceConnectionString(hub.serviceConnectionString), trustedCa: hub.caPem, maxAttempts: 3, timeoutMs: 10_000,
  });
  try {
    return await createModules({ registry: new RegistryClient(service), moduleId: DEFAULT_MODULE_ID, target: { where: undefined } });
  } finally {
    service.close();
  }
}
