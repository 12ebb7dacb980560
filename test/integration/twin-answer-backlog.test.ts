import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { openOutbox } from '../../src/outbox/open-outbox.js';
import type { CapturedMessage } from '../../src/sim-hub/index.js';
import { startRig } from '../support/agent-harness.js';
import { waitUntil } from '../support/stream-tally.js';
import { nextReport } from '../support/twin-push.js';

const BACKLOG = 2_000;
const backlogIndex = (m: CapturedMessage): number | undefined => {
  const text = m.body.toString('utf8');
  return text.startsWith('{"backlog":') ? (JSON.parse(text) as { backlog: number }).backlog : undefined;
};

describe('a desired change while thousands of messages wait in the outbox', () => {
  it('is applied and answered before the backlog has drained, and the backlog still arrives whole and in order', async () => {
    // The change waits for the messages queued before it at most this long: far less than 2,000 take.
    const rig = await startRig({ flushBeforeApplyMs: 200 }, { startAgent: false });
    // Queued before the change, as a storm leaves them.
    const seed = await openOutbox({ dir: join(rig.dir, 'agent', 'outbox'), messageTimeoutMs: 3_600_000, clock: systemClock, log: silentLogger() });
    await seed.append(Array.from({ length: BACKLOG }, (_, i) => Buffer.from(JSON.stringify({ backlog: i, padding: 'x'.repeat(200) }))));
    await seed.close();
    const arrived = (): number[] => rig.hub.messages().map(backlogIndex).filter((i): i is number => i !== undefined);

    await rig.agent.start();
    const { deviceId, moduleId } = rig.identity;
    await rig.hub.waitForReported(deviceId, moduleId, (r) => r['latest_state'] === 'success', 30_000);
    await waitUntil(() => arrived().length > 0, 30_000, 'the backlog starts to drain');

    // Counted the moment the hub applies the agent's answer.
    let deliveredAtAnswer = -1;
    const countAtAnswer = (): void => {
      deliveredAtAnswer = arrived().length;
    };
    rig.hub.once('reported', countAtAnswer);
    const answer = nextReport(rig.hub, rig.identity, 30_000);
    rig.hub.patchDesired(deviceId, moduleId, { Heartbeat_MessageFrequency: 'Low' });
    const { report } = await answer;
    expect(report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(rig.agent.configuration().Heartbeat_MessageFrequency).toBe('Low');
    expect(deliveredAtAnswer).toBeGreaterThan(0);
    expect(deliveredAtAnswer).toBeLessThan(BACKLOG);

    await waitUntil(() => arrived().length >= BACKLOG, 120_000, 'the whole backlog at the hub');
    expect(arrived()).toEqual(Array.from({ length: BACKLOG }, (_, i) => i));
  }, 180_000);
});
