import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';

describe('Statistics_CacheSize', () => {
  it('is accepted, and the Statistics collector reports that it has no effect', async () => {
    const rig = await startRig({ twinDefaults: { CollectorsCore_PriorityIntervals: '1s,2s,3s', Statistics_CacheSize: 7 } });
    const reported = await rig.hub.waitForReported(rig.identity.deviceId, rig.identity.moduleId,
      (r) => (r['collectors'] as Record<string, unknown> | undefined)?.['Statistics'] !== undefined, 20_000);
    expect(reported['latest_state']).toBe('success');
    expect((reported['collectors'] as Record<string, unknown>)['Statistics']).toMatchObject({
      state: 'running', no_effect: ['Statistics_CacheSize: accepted for compatibility, no effect'], settings: { Statistics_CacheSize: 7 },
    });
  }, 60_000);
});
