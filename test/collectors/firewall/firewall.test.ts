import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRuleSet, type RuleSet } from '../../../collectors/firewall/firewall-tools.js';
import { FULL_REPORT_EVERY_MS, firewallCollector } from '../../../collectors/firewall/index.js';
import { parseIptablesSave } from '../../../collectors/firewall/parse-iptables.js';
import { parseNftRuleset } from '../../../collectors/firewall/parse-nft.js';
import { toPayloadItem } from '../../../collectors/firewall/rule-item.js';
import type { PayloadItem } from '../../../src/events/event.js';
import { collectorOptions, recordingSink } from '../../support/collector-harness.js';
import { expectSampleEvent } from '../../support/golden.js';
import { FakeClock } from '../../support/fake-clock.js';
import { officialEventProblems } from '../../support/official-conformance.js';
import { HAS_SHARED } from '../../support/shared-reference.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/firewall');

function golden(name: string, actual: PayloadItem[]): void {
  const file = join(FIXTURES, `${name}.expected.json`);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, `${JSON.stringify(actual, null, 1)}\n`);
  expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 to create it`).toBe(true);
  expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  if (HAS_SHARED) expect(officialEventProblems([{ name: 'FirewallConfiguration', category: 'Periodic', eventType: 'Security', time: 0, payload: actual }])).toEqual([]);
}

describe('firewall rule parsing', () => {
  it('maps a real `nft -j list ruleset` to the schema fields (chain, direction, action, priority, addresses, ports, protocol)', () => {
    const items = parseNftRuleset(readFileSync(join(FIXTURES, 'nft-ruleset.json'), 'utf8')).map(toPayloadItem);
    expect(items.find((i) => i['DestinationPort'] === '22,80')).toMatchObject({ ChainName: 'input', Direction: 'In', Action: 'Allow', Priority: 2, SourceAddress: '10.0.0.0/8', Protocol: 'TCP' });
    expect(items.find((i) => (i['ExtraDetails'] as Record<string, string>)['Policy'] === 'drop')).toMatchObject({ ChainName: 'input', Action: 'Deny', Priority: 6 });
    golden('nft-ruleset', items);
  });

  it('maps iptables-save output, with negation, port ranges, multiport, policies and non-filter tables', () => {
    const items = parseIptablesSave(readFileSync(join(FIXTURES, 'iptables-save.txt'), 'utf8'), 'ipv4').map(toPayloadItem);
    expect(items.find((i) => i['DestinationPort'] === '53,123')).toMatchObject({ SourceAddress: '!192.168.0.0/16', Protocol: 'UDP', Action: 'Deny', Priority: 3 });
    expect(items.find((i) => i['SourcePort'] === '1024-2048')).toMatchObject({ Action: 'Deny', Protocol: 'TCP' });
    golden('iptables-save', items);
  });

  it('fails clearly on output that is not nft JSON', () => {
    expect(() => parseNftRuleset('Error: permission denied')).toThrow(SyntaxError);
  });
});

describe('the FirewallConfiguration collector', () => {
  it('reports a host without firewall tooling as such: an empty event and a status saying why, not an error', async () => {
    expect(await readRuleSet([])).toEqual({ source: 'none', rules: [] });
    const c = firewallCollector(collectorOptions(), () => readRuleSet([]));
    const sink = recordingSink();
    await c.collect?.(sink);
    expect(sink.errors).toEqual([]);
    expect(sink.events.map((e) => [e.name, e.payload.length])).toEqual([['FirewallConfiguration', 0]]);
    expect(c.status?.()).toEqual({ state: 'running', detail: 'no firewall tooling found (nft, iptables-save): no rules reported' });
  });

  it('sends the rule set first, again only when it changes, and once a day', async () => {
    const text = readFileSync(join(FIXTURES, 'iptables-save.txt'), 'utf8');
    let set: RuleSet = { source: 'iptables', rules: parseIptablesSave(text, 'ipv4') };
    const clock = new FakeClock();
    const c = firewallCollector(collectorOptions({ clock }), async () => set);
    const sink = recordingSink();
    await c.collect?.(sink);
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(1);
    // Counters change all the time and are not part of a rule.
    set = { source: 'iptables', rules: parseIptablesSave(text.replace('[120:9600]', '[999:99999]'), 'ipv4') };
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(1);
    set = { source: 'iptables', rules: parseIptablesSave(text.replace('--dport 22', '--dport 2222'), 'ipv4') };
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(2);
    await clock.advance(FULL_REPORT_EVERY_MS);
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(3);
    expectSampleEvent('firewall', { ...sink.events[1]!, payload: sink.events[1]!.payload.slice(0, 4), time: Date.UTC(2026, 0, 1) }, 'exact');
  });

  it('turns a failing tool into a degraded status and one error, without an event', async () => {
    const c = firewallCollector(collectorOptions(), async () => {
      throw new Error('/usr/sbin/nft -j list ruleset: Operation not permitted (you must be root)');
    });
    const sink = recordingSink();
    await c.collect?.(sink);
    expect(sink.events).toEqual([]);
    expect(sink.errors).toEqual(['cannot read the firewall rules: /usr/sbin/nft -j list ruleset: Operation not permitted (you must be root)']);
    expect(c.status?.().state).toBe('degraded');
  });
});
