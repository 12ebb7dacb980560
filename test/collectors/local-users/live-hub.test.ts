/** Real agent, real SDK over TLS to the simulated hub: a user added with useradd and an nftables rule added during the run arrive as changed events. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { SecurityMessage } from '../../../src/events/envelope.js';
import { eventsOf, startRig } from '../../support/agent-harness.js';
import { officialProblems } from '../../support/official-conformance.js';
import { HAS_SHARED } from '../../support/shared-reference.js';
import { findExecutable } from '../../../collectors/firewall/firewall-tools.js';

const IS_ROOT = process.getuid?.() === 0;
const USERADD = await findExecutable('useradd');
const NFT = await findExecutable('nft');
const TWIN = { Baseline_Disabled: true, Peripheral_Disabled: true };

interface Item { [k: string]: unknown; ExtraDetails?: Record<string, string> }
const items = (body: Buffer, name: string): Item[] => eventsOf(body).filter((e) => e.Name === name).flatMap((e) => (e['Payload'] as Item[]));

function officialOk(body: Buffer): void {
  if (HAS_SHARED) expect(officialProblems(JSON.parse(body.toString('utf8')) as SecurityMessage)).toEqual([]);
}

describe('posture collectors through the real agent', () => {
  it.skipIf(!IS_ROOT || !USERADD)(`a user added with useradd arrives as a changed LocalUsers event${IS_ROOT && USERADD ? '' : ' (skipped: needs root and useradd)'}`, async () => {
    const rig = await startRig({ twinDefaults: { CollectorsCore_PriorityIntervals: '1s,2s,3s', ...TWIN } });
    await rig.hub.waitForMessage((m) => items(m.body, 'LocalUsers').some((u) => u['UserName'] === 'root'), 15_000);
    const name = `pst${process.pid}${Date.now() % 100000}`;
    try {
      execFileSync(USERADD ?? 'useradd', ['-M', '-s', '/bin/sh', '-c', 'posture live test', name], { stdio: 'ignore' });
      const m = await rig.hub.waitForMessage((msg) => items(msg.body, 'LocalUsers').some((u) => u['UserName'] === name), 15_000);
      const user = items(m.body, 'LocalUsers').find((u) => u['UserName'] === name);
      expect(user?.ExtraDetails).toMatchObject({ Change: 'Added', LoginCapable: 'true', Uid0: 'false' });
      // Between full reports only the change travels.
      expect(items(m.body, 'LocalUsers').some((u) => u['UserName'] === 'root')).toBe(false);
      officialOk(m.body);
    } finally {
      try {
        execFileSync('userdel', [name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }, 40_000);

  it.skipIf(!IS_ROOT || !NFT)(`an nftables rule added during the run arrives as a changed FirewallConfiguration event${IS_ROOT && NFT ? '' : ' (skipped: needs root and nft)'}`, async () => {
    const rig = await startRig({ twinDefaults: { CollectorsCore_PriorityIntervals: '1s,2s,3s', ...TWIN } });
    await rig.hub.waitForMessage((m) => eventsOf(m.body).some((e) => e.Name === 'FirewallConfiguration'), 15_000);
    const table = `posture_live_${process.pid}`;
    const nft = (...args: string[]): void => {
      execFileSync(NFT ?? 'nft', args, { stdio: 'ignore' });
    };
    try {
      // A regular chain no hook jumps to: listed with the rule set, never applied to traffic.
      nft('add', 'table', 'inet', table);
      nft('add', 'chain', 'inet', table, 'posture_chain');
      nft('add', 'rule', 'inet', table, 'posture_chain', 'ip', 'saddr', '192.0.2.0/24', 'tcp', 'dport', '65001', 'drop');
      const m = await rig.hub.waitForMessage((msg) => items(msg.body, 'FirewallConfiguration').some((r) => r.ExtraDetails?.['Table'] === table), 15_000);
      const rule = items(m.body, 'FirewallConfiguration').find((r) => r.ExtraDetails?.['Table'] === table);
      expect(rule).toMatchObject({ ChainName: 'posture_chain', Action: 'Deny', Enabled: true, Priority: 0, SourceAddress: '192.0.2.0/24', DestinationPort: '65001', Protocol: 'TCP' });
      officialOk(m.body);
    } finally {
      try {
        nft('delete', 'table', 'inet', table);
      } catch {
        // already gone
      }
    }
  }, 40_000);
});
