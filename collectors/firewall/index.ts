/**
 * FirewallConfiguration: the rules in force, from `nft -j list ruleset` or iptables-save/ip6tables-save,
 * read at each send interval. The whole rule set is sent at the first read after a (re)start, once a day,
 * and whenever it differs from the previous read; a host with no tooling or no rules sends an empty event.
 */
import type { PayloadItem } from '../../src/events/event.js';
import type { Collector, CollectorFactory, CollectorOptions, CollectorStatus, EventSink } from '../types.js';
import { readRuleSet, type RuleSet } from './firewall-tools.js';
import { toPayloadItem } from './rule-item.js';

export const FULL_REPORT_EVERY_MS = 24 * 60 * 60 * 1000;

export async function snapshotFirewall(): Promise<PayloadItem[]> {
  return (await readRuleSet()).rules.map(toPayloadItem);
}

function describe(set: RuleSet): string {
  if (set.source === 'none') return 'no firewall tooling found (nft, iptables-save): no rules reported';
  return set.rules.length === 0 ? `${set.source}: no rules` : `${set.source}: ${set.rules.length} rules and policies`;
}

export const createFirewallCollector: CollectorFactory = (options) => firewallCollector(options);

/** The collector, with the rule reader injectable (a test points it at a directory without tools). */
export function firewallCollector({ clock, log }: CollectorOptions, readRules: () => Promise<RuleSet> = () => readRuleSet()): Collector {
  let previous: string | undefined;
  let lastFullAt = 0;
  let stopped = false;
  let detail: string | undefined;
  let failure: string | undefined;
  const collector: Collector = {
    name: 'FirewallConfiguration',
    async collect(out: EventSink) {
      if (stopped) return;
      let set: RuleSet;
      try {
        set = await readRules();
        failure = undefined;
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
        out.error(`cannot read the firewall rules: ${failure}`);
        return;
      }
      detail = describe(set);
      const payload = set.rules.map(toPayloadItem);
      const text = JSON.stringify(payload);
      const now = clock.now();
      const full = previous === undefined || now - lastFullAt >= FULL_REPORT_EVERY_MS;
      if (!full && text === previous) return;
      if (!full) log.info({ rules: payload.length }, 'firewall rule set changed');
      previous = text;
      if (full) lastFullAt = now;
      out.emit({ name: 'FirewallConfiguration', category: 'Periodic', eventType: 'Security', time: now, payload });
    },
    async stop() {
      stopped = true;
    },
    status: (): CollectorStatus => {
      if (stopped) return { state: 'stopped' };
      if (failure) return { state: 'degraded', detail: failure };
      return detail === undefined ? { state: 'running' } : { state: 'running', detail };
    },
  };
  return collector;
}
