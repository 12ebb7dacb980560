/**
 * `iot-micro-agent/sim-hub`: the simulated IoT Hub for a gateway's own tests. Needs the optional peer
 * dependencies aedes, @peculiar/x509 and reflect-metadata.
 */
export { SimulatedHub, SERVICE_POLICY, type SimHubOptions, type CapturedMessage } from './simulated-hub.js';
export { DEFAULT_MODULE_ID, type ModuleIdentity } from './module-identities.js';
export type { TwinDocument } from './twin-store.js';
export type { MethodResult } from './direct-methods.js';
// A stand-in for IoT Edge's workload API, to test a module under Edge without a device.
export { WorkloadApi, WORKLOAD_API_VERSION, type WorkloadModule, type WorkloadRequest } from './workload-api.js';
