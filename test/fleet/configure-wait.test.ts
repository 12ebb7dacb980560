import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';
import { CLI_TEST_TIMEOUT, hubCli, hubEnv } from './fleet-cli.js';

describe('hub configure against a running agent', () => {
  it('waits for success on a valid document and for failed with the exact invalid keys on a bad one', async () => {
    const rig = await startRig();
    const { hub } = rig;
    const device = rig.identity.deviceId;
    await hub.waitForReported(device, rig.identity.moduleId, (r) => r['latest_state'] !== undefined, 15_000);

    const valid = join(rig.dir, 'valid.json');
    await writeFile(valid, JSON.stringify({ Login_Disabled: true }));
    const ok = await hubCli(['configure', '--device', device, '--file', valid, '--wait', '30s'], hubEnv(hub));
    expect(ok.stdout.trim()).toBe('success');
    expect(ok.code).toBe(0);
    expect(hub.getTwin(device, rig.identity.moduleId).desired['Login_Disabled']).toBe(true);

    // Refused locally: nothing reaches the twin.
    const before = hub.getTwin(device, rig.identity.moduleId).desired['$version'];
    const refused = await hubCli(['configure', '--device', device, '--set', 'Login_Disabled=maybe', '--set', 'Unknown_Key=1'], hubEnv(hub));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Login_Disabled: .*; Unknown_Key: unknown key/);
    expect(hub.getTwin(device, rig.identity.moduleId).desired['$version']).toBe(before);

    // --no-validate sends it anyway (an agent of another version may judge differently): the agent's answer comes back.
    const bad = await hubCli(['configure', '--device', device, '--set', 'Login_Disabled=maybe', '--set', 'Unknown_Key=1',
      '--no-validate', '--wait', '30s', '--json'], hubEnv(hub));
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ deviceId: device, state: 'failed', invalidFields: ['Login_Disabled', 'Unknown_Key'] });
  }, CLI_TEST_TIMEOUT);

  it('gives up with exit 3 when no agent answers in time', async () => {
    const rig = await startRig({}, { startAgent: false });
    const r = await hubCli(['configure', '--device', rig.identity.deviceId, '--set', 'Login_Disabled=true', '--wait', '1s'], hubEnv(rig.hub));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^timeout: no answer/);
  }, CLI_TEST_TIMEOUT);
});
