// A gateway's TypeScript against the installed package's root entry only (type-checked, never run).
import { MicroAgent, UserInputError, type CollectedEvent, type CollectorFactory, type MicroAgentOptions } from 'iot-micro-agent';
import { agentSchemas, defineCollector, type AgentStatus, type ConfigRejectedEvent } from 'iot-micro-agent';
import type { ModuleClient } from 'azure-iot-device';

const doors: CollectorFactory = ({ clock }) => ({
  name: 'Doors',
  async collect(out) {
    const event: CollectedEvent = { name: 'ConnectedHardware', category: 'Periodic', eventType: 'Security', time: clock.now(), payload: [{ HardwareName: 'door' }] };
    out.emit(event);
  },
  async stop() {},
});
const options: MicroAgentOptions = { connectionStringFile: '/etc/gw/agent.cs', stateDir: '/var/lib/gw/agent', builtInCollectors: ['Heartbeat', 'Process'], collectors: { Doors: doors }, twinDefaults: { Heartbeat_MessageFrequency: 'High' } };
export const agent = new MicroAgent(options);
agent.on('connected', () => undefined);
export const handOver = (client: ModuleClient): MicroAgent => new MicroAgent({ client });
export const isUserError = (e: unknown): boolean => e instanceof UserInputError;
// @ts-expect-error the connection string is text
export const wrongType = new MicroAgent({ connectionString: 42 });
// @ts-expect-error test knobs are not public options
export const knob = new MicroAgent({ connectionString: 'x', twinTimeoutMs: 5 });
// @ts-expect-error not a built-in collector
export const unknown = new MicroAgent({ connectionString: 'x', builtInCollectors: ['Nope'] });

// A collector of its own with a twin key and an event schema; the status and the typed events.
export const inventory = defineCollector({
  name: 'Inventory',
  event: { name: 'InventoryItem', category: 'Periodic', eventType: 'Security', payloadItemSchema: { type: 'object' } },
  twinKeys: { Site: { schema: { type: 'string' }, default: 'north' } },
  create: () => ({ name: 'Inventory', async stop() {} }),
});
export const withInventory = new MicroAgent({ connectionString: 'x', customCollectors: [inventory] });
withInventory.on('config-rejected', (e: ConfigRejectedEvent) => e.invalidFields.length);
withInventory.on('message-sent', ({ bytes, queuedMs }) => bytes + queuedMs);
withInventory.on('error', (err, problem) => `${err.message} ${problem.source}`);
export const depth = (s: AgentStatus): number => s.outbox.depth + (s.collectors['Inventory']?.refused ?? 0);
export const problems = agentSchemas([inventory]).validateMessage({});
// @ts-expect-error the category is Periodic or Triggered
export const badCategory = defineCollector({ name: 'X', event: { name: 'E', category: 'Hourly', eventType: 'Security', payloadItemSchema: {} }, create: () => ({ name: 'X', async stop() {} }) });
