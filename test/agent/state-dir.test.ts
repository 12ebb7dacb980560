import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventsOf, startRig } from '../support/agent-harness.js';

describe('agent with a state dir it cannot write', () => {
  it('runs with an in-memory outbox, says so in its log and reported state, and still delivers', async () => {
    const rig = await startRig({}, { startAgent: false });
    const blocker = join(rig.dir, 'not-a-dir');
    await writeFile(blocker, 'a file where the state dir should be');
    const agent = rig.makeAgent({ stateDir: join(blocker, 'state') });
    await agent.start();
    const { hub, identity } = rig;
    const reported = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    expect(reported['agent']).toMatchObject({ outbox: 'memory' });
    await hub.waitForMessage((m) => eventsOf(m.body).some((e) => e.Name === 'Heartbeat'), 10_000);
    expect(rig.logs.some((l) => l.level >= 40 && /memory/.test(String(l.msg)))).toBe(true);
  });
});
