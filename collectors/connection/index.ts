/** The NetworkActivity collector: ConnectionCreate from /proc/net polling, ListeningPorts snapshots. */
import type { CollectorFactory } from '../types.js';
import { ConnectionMonitor, type ConnectionCollector, type ConnectionCollectorOptions } from './monitor.js';

export { readSocketsOnce, type SocketRecord, type ReadSocketsOptions } from './once.js';
export type { ProcessInfo } from './inode-owner.js';
export type { ConnectionCollector, ConnectionCollectorOptions } from './monitor.js';
export { readConnectionSettings, type ConnectionSettings } from './settings.js';

/** The collector with its test hooks (poll on demand, cost counters). */
export function createConnectionMonitor(options: ConnectionCollectorOptions): ConnectionCollector {
  return new ConnectionMonitor(options);
}

export const createConnectionCollector: CollectorFactory = (options) => new ConnectionMonitor(options);
