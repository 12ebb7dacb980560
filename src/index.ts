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
// defineCollector (issue 14, item 2) is exported here by the custom-collectors work.

// The events a collector emits.
export type { CollectedEvent, EventCategory, EventType, PayloadItem, PayloadValue } from './events/event.js';

// Status and typed events of the agent (issue 14, item 3) are exported here by the observability work.

// Error classes.
export { AgentError, NotConnectedError, TimeoutError, UserInputError } from './errors.js';
