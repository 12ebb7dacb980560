/** hub configure: patches the module twins' desired properties and, with a wait, collects each agent's answer. */
import { moduleStatuses, statusOfTwin, type ModuleStatus } from './module-status.js';
import type { FleetTarget } from './create-modules.js';
import type { Progress } from './progress.js';
import type { Doc, RegistryClient } from './registry-client.js';

export type ConfigureState = 'success' | 'failed' | 'timeout' | 'patched' | 'missing' | 'error';

export interface ConfigureOutcome {
  deviceId: string;
  state: ConfigureState;
  invalidFields?: string[];
  reason?: string;
}

export interface ConfigureOptions {
  registry: RegistryClient;
  moduleId: string;
  target: FleetTarget;
  desired: Doc;
  /** wait this long for the agents' answers; no wait when absent */
  waitMs?: number;
  pollMs?: number;
  progress?: Progress;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Twin updates run a few at a time: the hub throttles them per unit, and 429s are retried by the client. */
const CONCURRENCY = 4;

export async function configureModules(options: ConfigureOptions): Promise<ConfigureOutcome[]> {
  const { registry, moduleId } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const statuses = await moduleStatuses(registry, moduleId, options.target);
  const outcomes = new Map<string, ConfigureOutcome>();
  const baseline = new Map<string, number>();
  const targets = statuses.filter((s) => s.exists).map((s) => s.deviceId);
  for (const s of statuses) {
    if (!s.exists) outcomes.set(s.deviceId, { deviceId: s.deviceId, state: 'missing', reason: s.deviceMissing ? 'no such device' : `no module ${moduleId}` });
  }
  options.progress?.setTotal(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const deviceId = targets[next++] as string;
      try {
        const twin = await registry.patchDesired(deviceId, moduleId, options.desired);
        baseline.set(deviceId, statusOfTwin(deviceId, twin).reportedVersion ?? 0);
        outcomes.set(deviceId, { deviceId, state: 'patched' });
      } catch (err) {
        outcomes.set(deviceId, { deviceId, state: 'error', reason: err instanceof Error ? err.message : String(err) });
      }
      options.progress?.advance(1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
  options.progress?.finish();
  if (options.waitMs !== undefined) {
    await waitForAnswers(options, baseline, outcomes, now() + options.waitMs, now, sleep);
  }
  return statuses.map((s) => outcomes.get(s.deviceId) ?? { deviceId: s.deviceId, state: 'error', reason: 'not attempted' });
}

async function waitForAnswers(
  options: ConfigureOptions, baseline: Map<string, number>, outcomes: Map<string, ConfigureOutcome>,
  deadline: number, now: () => number, sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const pending = new Set(baseline.keys());
  const pollMs = options.pollMs ?? ('deviceId' in options.target ? 500 : 2_000);
  for (;;) {
    const statuses: ModuleStatus[] = 'deviceId' in options.target || pending.size === 1
      ? await Promise.all([...pending].map(async (id) => {
        const twin = await options.registry.getModuleTwin(id, options.moduleId);
        return twin ? statusOfTwin(id, twin) : { deviceId: id, exists: false };
      }))
      : (await moduleStatuses(options.registry, options.moduleId, options.target)).filter((s) => pending.has(s.deviceId));
    for (const s of statuses) {
      // A reported section newer than the one the patch saw carries the agent's answer to it.
      if (s.latestState === undefined || (s.reportedVersion ?? 0) <= (baseline.get(s.deviceId) ?? 0)) continue;
      pending.delete(s.deviceId);
      const state: ConfigureState = s.latestState === 'success' ? 'success' : 'failed';
      outcomes.set(s.deviceId, { deviceId: s.deviceId, state, ...(state === 'failed' ? { invalidFields: s.invalidFields ?? [] } : {}) });
    }
    if (pending.size === 0) return;
    if (now() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(0, deadline - now())));
  }
  for (const id of pending) {
    outcomes.set(id, { deviceId: id, state: 'timeout', reason: 'no answer from the agent in time (is it running and connected?)' });
  }
}
