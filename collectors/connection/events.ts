/** ConnectionCreate and ListeningPorts events, shaped for the official schemas (ports as strings). */
import type { CollectedEvent, PayloadItem } from '../../src/events/event.js';
import type { ProcessInfo } from './inode-owner.js';
import type { Protocol, SocketRow } from './parse.js';

export type Direction = 'In' | 'Out';

/** Ports something listens on in one namespace: `TCP:22`, `UDP:53`. */
export type ListeningSet = ReadonlySet<string>;

export function listeningKey(protocol: Protocol, port: number): string {
  return `${protocol}:${port}`;
}

/** In when the local port is one this namespace listens on (same protocol), Out otherwise. */
export function directionOf(row: SocketRow, listening: ListeningSet): Direction {
  return listening.has(listeningKey(row.protocol, row.localPort)) ? 'In' : 'Out';
}

/**
 * Identical connections aggregate: protocol, direction, both addresses and the service port. The
 * ephemeral side is left out: the remote port of an inbound connection (a scan or a busy server
 * aggregates), the local port of an outbound one (a client reconnecting every minute aggregates).
 */
export function connectionKey(row: SocketRow, direction: Direction): string {
  const service = direction === 'In' ? row.localPort : row.remotePort;
  return `${row.protocol}|${direction}|${row.localAddress}|${row.remoteAddress}|${service}`;
}

export function connectionEvent(row: SocketRow, direction: Direction, owner: ProcessInfo | undefined, time: number): CollectedEvent {
  const item: PayloadItem = {
    RemoteAddress: row.remoteAddress,
    RemotePort: String(row.remotePort),
    LocalAddress: row.localAddress,
    LocalPort: String(row.localPort),
    Direction: direction,
    Protocol: row.protocol,
    ProcessId: owner?.pid ?? 0,
    UserId: String(row.uid),
    Executable: owner?.executable ?? '',
  };
  if (owner?.commandLine !== undefined) item['CommandLine'] = owner.commandLine;
  return {
    name: 'ConnectionCreate',
    category: 'Triggered',
    eventType: 'Security',
    payload: [item],
    time,
    aggregationKey: connectionKey(row, direction),
  };
}

/** One payload item per distinct (address, port, protocol); a snapshot is never aggregated. */
export function listeningPortsEvent(rows: readonly SocketRow[], time: number): CollectedEvent {
  const items = new Map<string, PayloadItem>();
  for (const row of rows) {
    const key = `${row.protocol}|${row.localAddress}|${row.localPort}`;
    if (items.has(key)) continue;
    items.set(key, { LocalAddress: row.localAddress, LocalPort: String(row.localPort), Protocol: row.protocol });
  }
  const payload = [...items.values()].sort((a, b) =>
    String(a['Protocol']).localeCompare(String(b['Protocol'])) || Number(a['LocalPort']) - Number(b['LocalPort']) ||
    String(a['LocalAddress']).localeCompare(String(b['LocalAddress'])));
  return { name: 'ListeningPorts', category: 'Periodic', eventType: 'Security', payload, time };
}
