/** The public API for embedding iot-micro-agent in a Node gateway. */
export { MicroAgent } from './agent.js';
export type { MicroAgentOptions, MicroAgentEvents } from './agent.js';
export type { Collector, CollectorFactory, CollectorOptions, CollectorSettings, CollectorStatus, EventSink } from '../collectors/types.js';
export type { CollectedEvent, EventCategory, EventType, PayloadItem, PayloadValue } from './events/event.js';
export type { Clock, Cancel } from './clock.js';
export { systemClock } from './clock.js';
export { builtInCollectors } from '../collectors/registry.js';
export { parseConnectionString, CONNECTION_STRING_ENV } from './hub/connection-string.js';
export type { ModuleConnectionString } from './hub/connection-string.js';
export { createLogger } from './log.js';
export { SimulatedHub } from './sim-hub/index.js';
export type { SimHubOptions, CapturedMessage, ModuleIdentity, TwinDocument } from './sim-hub/index.js';
export { edgeClientSource, upstreamRoute, SECURITY_OUTPUT } from './edge/edge-client.js';
export { readEdgeEnvironment, edgeHostRoot, type EdgeEnvironment } from './edge/edge-environment.js';
export type { ClientSource, ModuleAddress } from './hub/client-source.js';
export { WorkloadApi, type WorkloadModule } from './sim-hub/index.js';
