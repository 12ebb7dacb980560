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
export { defineCollector } from '../collectors/define-collector.js';
export type { CollectorDefinition, CustomEventDefinition, CustomTwinKey, DefinedCollector, JsonSchema, TwinScalar } from '../collectors/define-collector.js';
export { agentSchemas } from './custom-collectors.js';
export type { AgentSchemas } from './custom-collectors.js';
export type { AgentStatus, CollectorStatusEntry, ConnectionState } from './agent-status.js';
export type { AgentProblem, ConfigAppliedEvent, ConfigRejectedEvent, ConnectedEvent, DisconnectedEvent, ErrorSource, MessageSentEvent } from './agent-events.js';
