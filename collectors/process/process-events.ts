/** ProcessCreate / ProcessTerminate events in the official v1.0 payload shape. */
import type { CollectedEvent, PayloadItem } from '../../src/events/event.js';
import type { ProcessInfo } from './proc-reader.js';

/** Polling cannot observe how a process ended (only its parent's wait() can): -1 means unknown. */
export const EXIT_STATUS_UNKNOWN = -1;

/** Command line plus user id: pid and parent pid are left out so repeated runs aggregate. */
export function aggregationKey(name: string, p: ProcessInfo): string {
  return `${name}\u0000${p.uid}\u0000${p.commandLine}`;
}

export function processCreateEvent(p: ProcessInfo, time: number): CollectedEvent {
  const item: PayloadItem = {
    Executable: p.executable,
    ProcessId: p.pid,
    ParentProcessId: p.ppid,
    UserId: String(p.uid),
    ...(p.userName === undefined ? {} : { UserName: p.userName }),
    CommandLine: p.commandLine,
  };
  return {
    name: 'ProcessCreate',
    category: 'Triggered',
    eventType: 'Security',
    payload: [item],
    time,
    payloadSchemaVersion: '1.0',
    aggregationKey: aggregationKey('ProcessCreate', p),
  };
}

export function processTerminateEvent(p: ProcessInfo, time: number): CollectedEvent {
  return {
    name: 'ProcessTerminate',
    category: 'Triggered',
    eventType: 'Security',
    payload: [{ Executable: p.executable, ProcessId: p.pid, ExitStatus: EXIT_STATUS_UNKNOWN }],
    time,
    payloadSchemaVersion: '1.0',
    aggregationKey: aggregationKey('ProcessTerminate', p),
  };
}
