/** The simulated IoT Hub: what the agent's tests, `demo` and `sim-hub` run against. */
export { SimulatedHub, SERVICE_POLICY, type SimHubOptions, type CapturedMessage } from './simulated-hub.js';
export { HubService, BULK_LIMIT, type BulkResult, type QueryPage } from './hub-service.js';
export type { ServiceCall } from './service-http.js';
export { DEFAULT_MODULE_ID, type ModuleIdentity } from './module-identities.js';
export type { TwinDocument } from './twin-store.js';
export type { MethodResult } from './direct-methods.js';
export { createSasToken, moduleResource } from './sas-auth.js';
export { startSimHubCommand, parseSimHubArgs } from './sim-hub-command.js';
export { WorkloadApi, WORKLOAD_API_VERSION, type WorkloadModule, type WorkloadRequest } from './workload-api.js';
