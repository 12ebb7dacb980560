/** Runs messages through the official schema files: official-catalogue events only, in an envelope of their own. */
import { messageValidator, type MessageValidator } from '../../src/events/message-schema.js';
import type { SecurityMessage } from '../../src/events/envelope.js';
import { OFFICIAL_SCHEMAS } from './shared-reference.js';

export const OFFICIAL_EVENT_NAMES = new Set([
  'ProcessCreate', 'ProcessTerminate', 'ConnectionCreate', 'Login', 'ListeningPorts', 'LocalUsers', 'FirewallConfiguration',
  'ConnectedHardware', 'OSBaseline', 'SystemInformation', 'Diagnostic', 'ConfigurationError', 'DroppedEventsStatistics', 'MessageStatistics',
]);

let official: MessageValidator | undefined;

/** Problems of the official-catalogue events of `message` against the official files; [] when none. */
export function officialProblems(message: SecurityMessage): string[] {
  official ??= messageValidator(OFFICIAL_SCHEMAS);
  const events = message.Events.filter((e) => OFFICIAL_EVENT_NAMES.has(e.Name));
  if (events.length === 0) return [];
  return official.validate({ ...message, Events: events });
}
