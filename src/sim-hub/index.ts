/** The simulated IoT Hub: what the agent's tests, `demo` and `sim-hub` run against. */
export { SimulatedHub, type SimHubOptions, type CapturedMessage } from './simulated-hub.js';
export { DEFAULT_MODULE_ID, type ModuleIdentity } from './module-identities.js';
export type { TwinDocument } from './twin-store.js';
export type { MethodResult } from './direct-methods.js';
export { createSasToken, moduleResource } from './sas-auth.js';
export { startSimHubCommand, parseSimHubArgs } from './sim-hub-command.js';
