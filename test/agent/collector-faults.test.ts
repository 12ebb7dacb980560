import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { builtInCollectors } from '../../collectors/registry.js';
import type { CollectorFactory } from '../../src/index.js';
import type { CollectedEvent } from '../../src/events/event.js';
import { eventsOf, startRig } from '../support/agent-harness.js';
import { pushDesired, waitUntil } from '../support/twin-push.js';

function hardware(name: string, time: number): CollectedEvent {
  return { name: 'ConnectedHardware', category: 'Periodic', eventType: 'Security', time, payload: [{ HardwareCategory: 'Input', HardwareSubCategory: 'Sensor', HardwareName: name }] };
}

function hardwareNames(messages: { body: Buffer }[]): string[] {
  return messages.flatMap((m) => eventsOf(m.body)).filter((e) => e.Name === 'ConnectedHardware')
    .flatMap((e) => (e['Payload'] as { HardwareName: string }[]).map((p) => p.HardwareName));
}

type Collectors = Record<string, { state: string; detail: string | null }>;

describe('a gateway collector that misbehaves', () => {
  it('hangs in collect(): it is reported failed with the reason, its late events are ignored, and sends, twin updates and stop() go on', async () => {
    let release: (() => void) | undefined;
    let calls = 0;
    const hung: CollectorFactory = ({ clock }) => ({
      name: 'Hung',
      collect(out) {
        calls++;
        if (calls === 1) {
          // The first collect hangs until the test lets it go, then emits what is by then a late result.
          return new Promise<void>((resolve) => {
            release = () => {
              out.emit(hardware('late', clock.now()));
              resolve();
            };
          });
        }
        out.emit(hardware('on-time', clock.now()));
        return Promise.resolve();
      },
      stop: () => new Promise<void>(() => undefined), // and never stops either
    });
    const rig = await startRig({ collectors: { ...builtInCollectors, Hung: hung }, collectTimeoutMs: 1_000 });
    const { hub, identity, agent } = rig;
    const failed = await hub.waitForReported(identity.deviceId, identity.moduleId,
      (r) => (r['collectors'] as Collectors | undefined)?.['Hung']?.state === 'failed', 30_000);
    expect((failed['collectors'] as Collectors)['Hung']?.detail).toMatch(/collect\(\) did not finish within 1000 ms/);
    const failedAt = Date.now();
    // Sends go on: heartbeats keep arriving after the collector hung.
    await hub.waitForMessage((m) => m.receivedAt > failedAt && eventsOf(m.body).some((e) => e.Name === 'Heartbeat'), 20_000);
    // Twin updates go on.
    const answer = await pushDesired(hub, identity, { Heartbeat_MessageFrequency: 'Medium' });
    expect(answer.report).toMatchObject({ latest_state: 'success' });
    expect(agent.configuration().Heartbeat_MessageFrequency).toBe('Medium');
    // The hung call finally returns: its result is ignored, the next collect runs and the collector recovers.
    expect(release).toBeDefined();
    release?.();
    await hub.waitForMessage((m) => hardwareNames([m]).includes('on-time'), 20_000);
    expect(hardwareNames(hub.messages())).not.toContain('late');
    await hub.waitForReported(identity.deviceId, identity.moduleId,
      (r) => (r['collectors'] as Collectors | undefined)?.['Hung']?.state === 'running', 20_000);
    expect(rig.logs.filter((l) => l.msg === 'collection overdue' && l['collector'] === 'Hung')).toHaveLength(1);
    await agent.stop(); // its stop() never returns: abandoned after its deadline
  }, 120_000);

  it('emits invalid times and payloads: they are refused at emit, counted and logged once, and its valid events still arrive', async () => {
    const bad: CollectorFactory = ({ clock }) => {
      let round = 0;
      return {
        name: 'Broken',
        async collect(out) {
          round++;
          out.emit({ ...hardware('bad-time', 0), time: 1e20 }); // a PAM line with epoch 1e20
          out.emit({ ...hardware('nan-time', 0), time: Number.NaN });
          out.emit({ ...hardware('bad-payload', clock.now()), payload: [{ HardwareName: undefined as unknown as string }] });
          out.emit({ ...hardware('no-payload', clock.now()), category: 'Triggered', payload: [] });
          out.emit(hardware(`good-${round}`, clock.now()));
        },
        async stop() {},
      };
    };
    const rig = await startRig({ collectors: { ...builtInCollectors, Broken: bad } });
    const { hub, identity } = rig;
    await hub.waitForMessage((m) => hardwareNames([m]).includes('good-1'), 30_000);
    await hub.waitForMessage((m) => hardwareNames([m]).includes('good-2'), 30_000);
    const names = hardwareNames(hub.messages());
    expect(names.filter((n) => !n.startsWith('good-'))).toEqual([]);
    expect(rig.logs.filter((l) => l.msg === 'invalid event refused; later ones are only counted')).toHaveLength(1);
    // The count shows in the collector's reported detail (written with the next configuration answer).
    const answer = await pushDesired(hub, identity, { Heartbeat_MessageFrequency: 'Medium' });
    const detail = (answer.report['collectors'] as Collectors)['Broken']?.detail ?? '';
    const count = /^(\d+) invalid events refused/.exec(detail);
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(8);
  }, 90_000);

  it('gets a private temp dir (not /tmp/iot-micro-agent-<pid>) when the state dir is unusable, removed on stop', async () => {
    const dirs: string[] = [];
    const recorder: CollectorFactory = ({ stateDir }) => {
      dirs.push(stateDir);
      return { name: 'Recorder', async stop() {} };
    };
    const rig = await startRig({}, { startAgent: false });
    const blocker = join(rig.dir, 'not-a-dir');
    await writeFile(blocker, 'a file where the state dir should be');
    const agent = rig.makeAgent({ stateDir: join(blocker, 'state'), collectors: { ...builtInCollectors, Recorder: recorder } });
    await agent.start();
    const dir = dirs[0] ?? '';
    expect(dir.startsWith(tmpdir())).toBe(true);
    expect(dir).not.toContain(`iot-micro-agent-${process.pid}/`);
    expect(statSync(dir).isDirectory()).toBe(true);
    const base = dir.slice(0, dir.indexOf('/collectors/'));
    expect(statSync(base).mode & 0o777).toBe(0o700);
    await agent.stop();
    await waitUntil(() => !existsSync(base), 5_000);
  }, 60_000);
});
