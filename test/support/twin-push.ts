/** Pushing desired patches through the simulated hub and timing the agent's reported answer. */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { CapturedMessage, ModuleIdentity, SimulatedHub } from '../../src/sim-hub/index.js';
import { eventsOf } from './agent-harness.js';

export interface CorpusCase {
  readonly name: string;
  readonly patch: unknown;
  readonly invalid: string[];
}

export function loadMalformedCorpus(): CorpusCase[] {
  const text = readFileSync(new URL('../fixtures/twin/malformed-patches.json', import.meta.url), 'utf8');
  return JSON.parse(text) as CorpusCase[];
}

export interface ReportedAnswer {
  /** The reported patch the agent wrote in answer. */
  readonly report: Record<string, unknown>;
  /** From just before patchDesired to the hub applying the reported patch. */
  readonly elapsedMs: number;
  /** Date.now() when the hub applied the reported patch (comparable with CapturedMessage.receivedAt). */
  readonly at: number;
  /** The desired `$version` the hub gave the push. */
  readonly version: number;
}

interface ReportedEvent { deviceId: string; moduleId: string; patch: Record<string, unknown> }

/** Resolves with the next reported patch the module writes to the hub. */
export function nextReport(hub: SimulatedHub, identity: ModuleIdentity, timeoutMs = 5_000): Promise<{ report: Record<string, unknown>; at: number; t: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      hub.off('reported', listener);
      reject(new Error(`no reported update within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (e: ReportedEvent): void => {
      if (e.deviceId !== identity.deviceId || e.moduleId !== identity.moduleId) return;
      const t = performance.now();
      clearTimeout(timer);
      hub.off('reported', listener);
      resolve({ report: e.patch, at: Date.now(), t });
    };
    hub.on('reported', listener);
  });
}

/**
 * Pushes one desired patch and waits for the agent's reported answer. Throws synchronously (TwinUpdateError)
 * when the hub itself rejects the patch; nothing reaches the agent then.
 */
export async function pushDesired(
  hub: SimulatedHub, identity: ModuleIdentity, patch: Record<string, unknown>, timeoutMs = 15_000,
): Promise<ReportedAnswer> {
  const t0 = performance.now();
  const version = hub.patchDesired(identity.deviceId, identity.moduleId, patch);
  // The answer needs a network round trip, so listening right after the synchronous push misses nothing.
  const { report, at, t } = await nextReport(hub, identity, timeoutMs);
  return { report, elapsedMs: t - t0, at, version };
}

export function hasEvent(m: CapturedMessage, name: string): boolean {
  return eventsOf(m.body).some((e) => e.Name === name);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  const lo = sorted[mid - 1] ?? hi;
  return sorted.length % 2 === 0 ? (lo + hi) / 2 : hi;
}
