/** The Process collector's twin keys, read into a plan of what actually runs. */
import type { CollectorSettings } from '../types.js';

export const DEFAULT_POLLING_INTERVAL_US = 100_000;
/** Below this a poll loop would eat the CPU it is meant to watch; smaller settings run at 10 ms. */
export const MIN_POLLING_INTERVAL_MS = 10;

export type ProcessMode = 'Auto' | 'Netlink' | 'Polling';
const MODES: Readonly<Record<string, ProcessMode>> = { '1': 'Auto', '2': 'Netlink', '3': 'Polling' };

export interface ProcessPlan {
  readonly requestedMode: ProcessMode;
  /** Only polling exists in this build: no native addon for the kernel's process connector. */
  readonly runningMode: 'Polling';
  readonly intervalMs: number;
  /** Netlink was demanded explicitly and could not be honoured. */
  readonly degraded: boolean;
  /** One line for status(): which mode runs and why. */
  readonly detail: string;
}

function numberSetting(value: string | number | boolean | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

export function planProcessCollection(settings: CollectorSettings, processConnectorAvailable = false): ProcessPlan {
  const rawMode = settings['Process_Mode'];
  const requestedMode = MODES[String(rawMode ?? 1)] ?? 'Auto';
  const us = numberSetting(settings['Process_PollingInterval']);
  const intervalUs = us !== undefined && us > 0 ? us : DEFAULT_POLLING_INTERVAL_US;
  const intervalMs = Math.max(MIN_POLLING_INTERVAL_MS, intervalUs / 1000);
  const polling = `polling every ${intervalMs} ms`;
  const noConnector = processConnectorAvailable ? '' : 'process connector not available in this build';
  if (requestedMode === 'Polling') return { requestedMode, runningMode: 'Polling', intervalMs, degraded: false, detail: polling };
  if (requestedMode === 'Auto') {
    return { requestedMode, runningMode: 'Polling', intervalMs, degraded: false, detail: `${polling} (Process_Mode 1 Auto: ${noConnector})` };
  }
  return {
    requestedMode,
    runningMode: 'Polling',
    intervalMs,
    degraded: true,
    detail: `${polling}: Process_Mode 2 Netlink requested but ${noConnector}`,
  };
}
