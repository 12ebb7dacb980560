/** Docker `/events` lines (EventMessage) to ContainerLifecycle events: start, stop, die and oom of containers. */
import type { CollectedEvent, PayloadItem } from '../../src/events/event.js';
import { edgeModuleName, isObject, numberField, objectField, stringField, stringMap } from '../../src/edge/docker-payload.js';

export const WATCHED_ACTIONS = ['start', 'stop', 'die', 'oom'] as const;
type WatchedAction = (typeof WATCHED_ACTIONS)[number];

const ACTION_NAMES: Readonly<Record<WatchedAction, string>> = { start: 'Start', stop: 'Stop', die: 'Die', oom: 'Oom' };

export interface ContainerEvent {
  readonly action: WatchedAction;
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly moduleName: string;
  /** `die` only: the exit code the daemon reports. */
  readonly exitCode: number | undefined;
  /** ms since the epoch, from the event's own time. */
  readonly time: number;
  /** The exact `timeNano` digits (beyond a double's precision): the resume point and the order of replays. */
  readonly timeNano: bigint;
}

/** One line of the stream, or undefined for anything but a watched container action. */
export function parseEventLine(line: string): ContainerEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || stringField(parsed, 'Type') !== 'container') return undefined;
  const action = stringField(parsed, 'Action') ?? stringField(parsed, 'status');
  if (!(WATCHED_ACTIONS as readonly string[]).includes(action ?? '')) return undefined;
  const actor = objectField(parsed, 'Actor');
  const id = stringField(actor, 'ID') ?? '';
  if (id === '') return undefined;
  const attributes = stringMap(actor, 'Attributes');
  const nano = /"timeNano"\s*:\s*(\d{1,25})/.exec(line)?.[1];
  const seconds = numberField(parsed, 'time') ?? 0;
  const timeNano = nano !== undefined ? BigInt(nano) : BigInt(Math.trunc(seconds)) * 1_000_000_000n;
  const name = attributes['name'] ?? '';
  const exit = attributes['exitCode'];
  return {
    action: action as WatchedAction, id, name, image: attributes['image'] ?? '',
    moduleName: edgeModuleName(attributes, name) ?? '',
    exitCode: action === 'die' && exit !== undefined && /^-?\d+$/.test(exit) ? Number(exit) : undefined,
    time: Number(timeNano / 1_000_000n),
    timeNano,
  };
}

/** The ContainerLifecycle payload item. */
export function lifecycleItem(e: ContainerEvent): PayloadItem {
  return {
    Action: ACTION_NAMES[e.action], ContainerId: e.id, Name: e.name, Image: e.image, ModuleName: e.moduleName,
    ...(e.exitCode !== undefined ? { ExitCode: e.exitCode } : {}),
  };
}

export function lifecycleEvent(e: ContainerEvent): CollectedEvent {
  return {
    name: 'ContainerLifecycle', category: 'Triggered', eventType: 'Security', time: e.time,
    payload: [lifecycleItem(e)],
    // A crash loop is one aggregated event with a hit count, not hundreds.
    aggregationKey: `${e.action}\u0000${e.id}\u0000${e.exitCode ?? ''}`,
  };
}

/** `since` for a resumed stream: the last event's time in Docker's `seconds.nanoseconds` form. */
export function sinceParameter(timeNano: bigint): string {
  const s = timeNano / 1_000_000_000n;
  const ns = timeNano % 1_000_000_000n;
  return `${s}.${ns.toString().padStart(9, '0')}`;
}
