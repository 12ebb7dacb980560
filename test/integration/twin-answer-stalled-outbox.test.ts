import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readlinkSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { segmentName } from '../../src/outbox/segment-file.js';
import { eventsOf, startRig } from '../support/agent-harness.js';
import { pushDesired, waitUntil } from '../support/twin-push.js';

// Nothing appends to the outbox until the test says so: Heartbeat alone, off, and no Statistics.
const QUIET = { CollectorsCore_PriorityIntervals: '1s,2s,3s', Heartbeat_MessageFrequency: 'High', Heartbeat_Disabled: true, Statistics_Disabled: true };

const REFUSED = 'pipeline: outbox refused messages; they are lost';

/** How many descriptors this process holds on `path`: the test's own, plus the in-process agent's once it writes there. */
function openCount(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}

describe('a desired change while the outbox cannot write (a stalled disk)', () => {
  it('is applied and answered without waiting for the outbox, and messages flow again once it can write', async () => {
    const rig = await startRig({ builtInCollectors: ['Heartbeat'], twinDefaults: QUIET });
    const { deviceId, moduleId } = rig.identity;
    await rig.hub.waitForReported(deviceId, moduleId, (r) => r['latest_state'] === 'success', 30_000);

    // The outbox's first segment is a full pipe: the first message written to it blocks, as on a disk that stalls.
    const segment = join(rig.dir, 'agent', 'outbox', segmentName(1));
    execFileSync('mkfifo', [segment]);
    const pipe = openSync(segment, constants.O_RDWR | constants.O_NONBLOCK);
    for (const chunk of [Buffer.alloc(4096), Buffer.alloc(1)]) {
      try {
        for (;;) writeSync(pipe, chunk);
      } catch {
        // EAGAIN: no room for another chunk of this size.
      }
    }
    try {
      await pushDesired(rig.hub, rig.identity, { Heartbeat_Disabled: false });
      await waitUntil(() => openCount(segment) > 1, 15_000);

      // A change now: the Heartbeat events held are packed behind the stalled write; the answer does not wait for them.
      const answer = await pushDesired(rig.hub, rig.identity, { Heartbeat_MessageFrequency: 'Low' }, 20_000);
      expect(answer.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
      expect(rig.agent.configuration().Heartbeat_MessageFrequency).toBe('Low');
      expect(rig.hub.messages().length).toBe(0);
      expect(rig.logs.some((l) => l.msg === REFUSED)).toBe(false); // still stalled
    } finally {
      // The disk recovers: the pipe drains, the write in progress ends (fdatasync on a pipe fails: that message is lost and logged).
      const sink = Buffer.alloc(65536);
      const drain = setInterval(() => {
        try {
          while (readSync(pipe, sink) > 0);
        } catch {
          // EAGAIN: empty for now.
        }
      }, 10);
      try {
        await waitUntil(() => rig.logs.some((l) => l.msg === REFUSED), 15_000);
      } finally {
        clearInterval(drain);
        closeSync(pipe);
      }
    }
    // What the new configuration collects reaches the hub.
    await waitUntil(() => rig.hub.messages().some((m) => eventsOf(m.body).some((e) => e.Name === 'Heartbeat')), 15_000);
  }, 90_000);
});
