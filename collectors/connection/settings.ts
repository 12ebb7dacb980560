/** The twin keys this collector reads, with their defaults. */
import type { CollectorSettings } from '../types.js';
import { parseDevices, type DeviceSelection } from './interfaces.js';

export const DEFAULT_POLLING_INTERVAL_US = 1_000_000;
/** Below 10 ms a poll would mostly measure itself. */
export const MIN_POLLING_INTERVAL_US = 10_000;
export const DEFAULT_DEVICES = 'eth0';

export interface ConnectionSettings {
  readonly pollIntervalMs: number;
  readonly includeLoopback: boolean;
  readonly devices: DeviceSelection;
}

export function readConnectionSettings(settings: CollectorSettings): ConnectionSettings {
  const interval = settings['NetworkActivity_PollingInterval'];
  const us = typeof interval === 'number' && Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_POLLING_INTERVAL_US;
  const loopback = settings['NetworkActivity_IncludeLoopback'];
  const devices = settings['NetworkActivity_Devices'];
  return {
    pollIntervalMs: Math.max(us, MIN_POLLING_INTERVAL_US) / 1000,
    includeLoopback: loopback === true || loopback === 'true',
    devices: parseDevices(typeof devices === 'string' ? devices : DEFAULT_DEVICES),
  };
}
