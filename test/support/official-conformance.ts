/**
 * Runs messages through the official schemas: official-catalogue events only, in an envelope of their own.
 * The files are the repository's copies in message-schema/, so this runs on every clone; conformance.test.ts
 * proves the copies equal the official files wherever ../shared is present.
 */
import { messageValidator, type MessageValidator } from '../../src/events/message-schema.js';
import { buildMessage, toWireEvent, type SecurityMessage } from '../../src/events/envelope.js';
import type { CollectedEvent } from '../../src/events/event.js';

export const OFFICIAL_EVENT_NAMES = new Set([
  'ProcessCreate', 'ProcessTerminate', 'ConnectionCreate', 'Login', 'ListeningPorts', 'LocalUsers', 'FirewallConfiguration',
  'ConnectedHardware', 'OSBaseline', 'SystemInformation', 'Diagnostic', 'ConfigurationError', 'DroppedEventsStatistics', 'MessageStatistics',
]);

let official: MessageValidator | undefined;

/** Problems of the official-catalogue events of `message` against the official files; [] when none. */
export function officialProblems(message: SecurityMessage): string[] {
  official ??= messageValidator();
  const events = message.Events.filter((e) => OFFICIAL_EVENT_NAMES.has(e.Name));
  if (events.length === 0) return [];
  return official.validate({ ...message, Events: events });
}

const TEST_AGENT = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };

/** Problems of collected events, packed into one message as the hub would receive them; [] when valid. */
export function officialEventProblems(events: readonly CollectedEvent[]): string[] {
  return officialProblems(buildMessage(TEST_AGENT, events.map((e) => toWireEvent(e))));
}
