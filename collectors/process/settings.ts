/** The Process collector's twin keys, read into a plan of what actually runs. */
import type { CollectorSettings } from '../types.js';

export const DEFAULT_POLLING_INTERVAL_US = 100_000;
/** Below this a poll loop would eat the CPU it is meant to watch; smaller settings run at 10 ms. */
export const MIN_POLLING_INTERVAL_MS = 10;

export type ProcessMode = 'Auto' | 'Netlink' | 'Polling';
const MODES: Readonly<Record<string, ProcessMode>> = { '1': 'Auto', '2': 'Netlink', '3': 'Polling' };

export interface ProcessPlan {
  readonly requestedMode: ProcessMode;
  readonly intervalMs: number;
}

function numberSetting(value: string | number | boolean | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** Which mode was asked for and the polling period; which mode runs is decided at start, by evidence. */
export function planProcessCollection(settings: CollectorSettings): ProcessPlan {
  const rawMode = settings['Process_Mode'];
  const requestedMode = MODES[String(rawMode ?? 1)] ?? 'Auto';
  const us = numberSetting(settings['Process_PollingInterval']);
  const intervalUs = us !== undefined && us > 0 ? us : DEFAULT_POLLING_INTERVAL_US;
  return { requestedMode, intervalMs: Math.max(MIN_POLLING_INTERVAL_MS, intervalUs / 1000) };
}
