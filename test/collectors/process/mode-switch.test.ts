/** Process_Mode switched at runtime through the twin, against the simulated hub with the real client. */
import { describe, it } from 'vitest';
import { loadCnProc } from '../../../collectors/process/cn-proc-addon.js';
import { FAST_TWIN, startRig } from '../../support/agent-harness.js';

const load = loadCnProc();

describe.skipIf(process.platform !== 'linux' || 'reason' in load)('Process_Mode through the twin', () => {
  it('switches from Auto (netlink here) to polling (3) and to netlink (2) while the agent runs, and reports which', async () => {
    const rig = await startRig({ twinDefaults: { ...FAST_TWIN, Process_Disabled: false, Process_Mode: 1 } });
    const { hub, identity } = rig;
    const processDetail = (prefix: string) => (r: Record<string, unknown>): boolean => {
      const p = (r['collectors'] as Record<string, { state?: string; detail?: string }> | undefined)?.['Process'];
      return p?.state === 'running' && typeof p.detail === 'string' && p.detail.startsWith(prefix);
    };
    await hub.waitForReported(identity.deviceId, identity.moduleId, processDetail('netlink'), 20_000);
    hub.patchDesired(identity.deviceId, identity.moduleId, { Process_Mode: 3 });
    await hub.waitForReported(identity.deviceId, identity.moduleId, processDetail('polling every'), 20_000);
    hub.patchDesired(identity.deviceId, identity.moduleId, { Process_Mode: 2 });
    await hub.waitForReported(identity.deviceId, identity.moduleId, processDetail('netlink'), 20_000);
  }, 90_000);
});
