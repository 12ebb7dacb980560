/**
 * Baseline: the CIS checks of checks.json, run once per send interval under the host root. The first run
 * after a (re)start and then one run a day report every check; the runs between report only the checks
 * whose result or reason changed since the previous run, so a fixed setting shows as Pass at the next interval.
 */
import { performance } from 'node:perf_hooks';
import type { PayloadItem } from '../../src/events/event.js';
import type { Collector, CollectorFactory, CollectorStatus, EventSink } from '../types.js';
import { CHECKS, selectChecks } from './catalogue.js';
import { resultKey, runChecks, toPayloadItem, type CheckOutcome } from './run-checks.js';

export const FULL_REPORT_EVERY_MS = 24 * 60 * 60 * 1000;

/** Every check of the catalogue against `hostRoot`, as OSBaseline payload items (for `collect baseline --once`). */
export async function snapshotBaseline(hostRoot: string): Promise<PayloadItem[]> {
  return (await runChecks(hostRoot, CHECKS)).map(toPayloadItem);
}

function summary(outcomes: readonly CheckOutcome[], ms: number): string {
  const count = (r: string): number => outcomes.filter((o) => o.result === r).length;
  return `${outcomes.length} checks in ${Math.round(ms)} ms: ${count('Pass')} pass, ${count('Fail')} fail, ${count('Skip')} skip, ${count('Error')} error`;
}

export const createBaselineCollector: CollectorFactory = ({ hostRoot, settings, clock, log }) => {
  const checks = selectChecks(settings);
  let previous: Map<string, string> | undefined;
  let lastFullAt = 0;
  let stopped = false;
  let detail: string | undefined;
  const collector: Collector = {
    name: 'Baseline',
    async collect(out: EventSink) {
      if (stopped) return;
      const started = performance.now();
      const outcomes = await runChecks(hostRoot, checks);
      detail = summary(outcomes, performance.now() - started);
      const now = clock.now();
      const full = previous === undefined || now - lastFullAt >= FULL_REPORT_EVERY_MS;
      const before = previous;
      const changed = full || !before ? outcomes : outcomes.filter((o) => before.get(o.check.id) !== resultKey(o));
      previous = new Map(outcomes.map((o) => [o.check.id, resultKey(o)]));
      if (full) lastFullAt = now;
      log.debug({ full, sent: changed.length, summary: detail }, 'baseline run');
      for (const o of outcomes) if (o.result === 'Error') out.error(`baseline check ${o.check.id}: ${o.detail}`);
      if (changed.length === 0) return;
      out.emit({ name: 'OSBaseline', category: 'Periodic', eventType: 'Security', time: now, payload: changed.map(toPayloadItem) });
    },
    async stop() {
      stopped = true;
    },
    status: (): CollectorStatus => (stopped ? { state: 'stopped' } : detail === undefined ? { state: 'running' } : { state: 'running', detail }),
  };
  return collector;
};
