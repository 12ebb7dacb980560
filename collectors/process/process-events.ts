/** ProcessCreate / ProcessTerminate events in the official v1.0 payload shape. */
import type { CollectedEvent, PayloadItem } from '../../src/events/event.js';
import type { ProcessInfo } from './proc-reader.js';

/** Polling cannot observe how a process ended (only its parent's wait() or the kernel can): -1 means unknown. */
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

/** A wait status from the kernel as a shell shows it: the exit code, or 128 + the signal that killed it. */
export function exitStatusOf(waitStatus: number): number {
  const signal = waitStatus & 0x7f;
  return signal === 0 ? (waitStatus >> 8) & 0xff : 128 + signal;
}

export function processTerminateEvent(p: ProcessInfo, time: number, exitStatus = EXIT_STATUS_UNKNOWN): CollectedEvent {
  return {
    name: 'ProcessTerminate',
    category: 'Triggered',
    eventType: 'Security',
    payload: [{ Executable: p.executable, ProcessId: p.pid, ExitStatus: exitStatus }],
    time,
    payloadSchemaVersion: '1.0',
    aggregationKey: aggregationKey('ProcessTerminate', p),
  };
}
