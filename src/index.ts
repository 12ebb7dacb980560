/**
 * The public API for embedding iot-micro-agent in a Node gateway: MicroAgent, its options and events, the
 * collector contract, the event types and the error classes; nothing else. Importing it starts nothing and
 * loads no simulator module (the simulated hub is `iot-micro-agent/sim-hub`).
 */
export { MicroAgent } from './agent.js';
export type { MicroAgentEvents } from './agent.js';
export type { MicroAgentOptions, BuiltInCollectorName } from './agent-options.js';

// The collector contract.
export type { Collector, CollectorFactory, CollectorOptions, CollectorSettings, CollectorStatus, EventSink, SpawnedChildren } from '../collectors/types.js';
export type { Clock, Cancel } from './clock.js';
// A collector of your own with its twin keys and event schema, and the schemas of an agent with it.
export { defineCollector } from '../collectors/define-collector.js';
export type { CollectorDefinition, CustomEventDefinition, CustomTwinKey, DefinedCollector, JsonSchema, TwinScalar } from '../collectors/define-collector.js';
export { agentSchemas } from './custom-collectors.js';
export type { AgentSchemas } from './custom-collectors.js';

// The events a collector emits.
export type { CollectedEvent, EventCategory, EventType, PayloadItem, PayloadValue } from './events/event.js';

// Status and typed events of the agent.
export type { AgentStatus, CollectorStatusEntry, ConnectionState } from './agent-status.js';
export type { AgentProblem, ConfigAppliedEvent, ConfigRejectedEvent, ConnectedEvent, DisconnectedEvent, ErrorSource, MessageSentEvent } from './agent-events.js';

// Error classes.
export { AgentError, NotConnectedError, TimeoutError, UserInputError } from './errors.js';
