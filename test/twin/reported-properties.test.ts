import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_NAMES } from '../../src/config/twin-keys.js';
import { TWIN_SECTION_LIMIT, twinSectionSize } from '../../src/sim-hub/twin-store.js';
import { startRig } from '../support/agent-harness.js';
import { pushDesired } from '../support/twin-push.js';

const UNSUPPORTED = ['Baseline', 'LogCollector', 'FileSystem', 'Peripheral'];
const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function sectionBytes(reported: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(Object.fromEntries(Object.entries(reported).filter(([k]) => !k.startsWith('$')))));
}

describe('the reported properties', () => {
  it('describe the agent and each collector with its state and effective settings, under 32 KB', async () => {
    const before = Date.now();
    const rig = await startRig();
    const { hub, identity, agent } = rig;
    const reported = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);

    expect(reported['agent']).toMatchObject({ version: packageVersion, id: agent.id, transport: 'mqtt' });
    const agentSection = reported['agent'] as Record<string, unknown>;
    expect(agent.id).toMatch(/\S/);
    const startTime = Date.parse(String(agentSection['startTime']));
    expect(startTime).toBeGreaterThanOrEqual(before - 1_000);
    expect(startTime).toBeLessThanOrEqual(Date.now());

    const collectors = reported['collectors'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(collectors).sort()).toEqual([...COLLECTOR_NAMES].sort());
    const config = agent.configuration() as unknown as Record<string, unknown>;
    const settingsOf = (name: string): Record<string, unknown> =>
      Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith(`${name}_`)));
    // The rig's twinDefaults leave Heartbeat, SystemInformation and Statistics on and disable the event collectors and SBoM.
    for (const name of ['Heartbeat', 'SystemInformation', 'Statistics']) {
      expect(collectors[name], name).toMatchObject({ state: 'running', settings: settingsOf(name) });
    }
    for (const name of ['Process', 'Login', 'NetworkActivity', 'SBoM']) {
      expect(collectors[name], name).toMatchObject({ state: 'disabled', settings: settingsOf(name) });
    }
    // Accepted for compatibility, documented as without effect in the key table, and said so here too.
    expect(collectors['NetworkActivity']?.['no_effect']).toEqual(['NetworkActivity_PacketBufferSize: accepted for compatibility, no effect']);
    for (const name of UNSUPPORTED) expect(collectors[name]?.['state'], name).toBe('unsupported');
    expect(collectors['Heartbeat']?.['settings']).toEqual({ Heartbeat_Disabled: false, Heartbeat_MessageFrequency: 'High' });

    // A change shows up in the reported state and settings.
    const answer = await pushDesired(hub, identity, { Heartbeat_Disabled: true, SystemInformation_HardwareVendor: 'Contoso' });
    expect(answer.report).toMatchObject({
      latest_state: 'success',
      collectors: {
        Heartbeat: { state: 'disabled', settings: { Heartbeat_Disabled: true } },
        SystemInformation: { state: 'running', settings: { SystemInformation_HardwareVendor: 'Contoso' } },
      },
    });

    const twin = hub.getTwin(identity.deviceId, identity.moduleId).reported;
    expect(twinSectionSize(twin)).toBeLessThan(TWIN_SECTION_LIMIT);
    expect(sectionBytes(twin)).toBeLessThan(TWIN_SECTION_LIMIT);
    console.log(`reported section: ${sectionBytes(twin)} bytes of JSON (${twinSectionSize(twin)} by the hub's count)`);
  });

  it('still carry the failed decision, under 32 KB, when a patch holds many long unknown keys', async () => {
    const rig = await startRig();
    const { hub, identity } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    // 31 keys of 1024 bytes, the most the hub's key (1 KB) and desired section (32 KB) limits let through.
    const keys = Array.from({ length: 31 }, (_, i) => `Unknown_${String(i).padStart(2, '0')}_${'x'.repeat(1012)}`);
    expect(twinSectionSize(Object.fromEntries(keys.map((k) => [k, true])))).toBeLessThan(TWIN_SECTION_LIMIT);
    const patch = Object.fromEntries(keys.map((k) => [k, true]));
    const answer = await pushDesired(hub, identity, patch);
    expect(answer.report['latest_state']).toBe('failed');
    const twin = hub.getTwin(identity.deviceId, identity.moduleId).reported;
    expect(twin['latest_state']).toBe('failed');
    // Every offending key is named; keys this long are shortened so the decision fits.
    const fields = twin['latest_invalid_fields'] as string[];
    expect(fields).toHaveLength(keys.length);
    fields.forEach((f, i) => expect(f.startsWith(keys[i]?.slice(0, 128) ?? '?'), f.slice(0, 20)).toBe(true));
    expect(twin['latest_invalid_fields']).toEqual(answer.report['latest_invalid_fields']);
    // Measured as the hub measures it (key and value bytes, §5); the hub refuses a larger reported section.
    expect(twinSectionSize(twin)).toBeLessThan(TWIN_SECTION_LIMIT);
    console.log(`reported section after 31 maximal unknown keys: ${sectionBytes(twin)} bytes of JSON (${twinSectionSize(twin)} by the hub's count)`);
  });
});
