import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createContainersCollector } from '../../../collectors/containers/index.js';
import type { Collector } from '../../../collectors/types.js';
import { buildMessage, toWireEvent } from '../../../src/events/envelope.js';
import type { CollectedEvent, PayloadItem } from '../../../src/events/event.js';
import { messageValidator } from '../../../src/events/message-schema.js';
import { collectorOptions, recordingSink } from '../../support/collector-harness.js';
import { dockerFixture, edgeModuleContainer, referenceContainer, startDockerApiServer, type DockerApiServer, type Json } from '../../support/docker-api-server.js';
import { expectSampleEvent } from '../../support/golden.js';
import { officialEventProblems } from '../../support/official-conformance.js';
import { systemClock } from '../../../src/clock.js';

const MODULE_ID = 'a'.repeat(64);
const PLAIN_ID = 'ba033ac4401106a3b513bc9d639eee123ad78ca3616b921167cd74b20e25ed39';
const AGENT = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };

let server: DockerApiServer | undefined;
let collector: Collector | undefined;

afterEach(async () => {
  await collector?.stop();
  await server?.close();
  collector = undefined;
  server = undefined;
});

/** The reference's EventMessage, for the module container, with the given action, time and attributes. */
function moduleEvent(action: string, timeNano: bigint, extra: Record<string, string> = {}): Json {
  const event = dockerFixture('event-message');
  const actor = event['Actor'] as { Attributes: Record<string, string> };
  return {
    ...event, Action: action, time: Number(timeNano / 1_000_000_000n), timeNano: Number(timeNano),
    Actor: { ID: MODULE_ID, Attributes: { ...actor.Attributes, name: 'tempSensor', image: 'example:1.0', 'net.azure-devices.edge.owner': 'Microsoft.Azure.Devices.Edge.Agent', ...extra } },
  };
}

function lifecycle(events: readonly CollectedEvent[]): PayloadItem[] {
  return events.filter((e) => e.name === 'ContainerLifecycle').flatMap((e) => e.payload);
}

function expectValidMessage(events: readonly CollectedEvent[]): void {
  expect(messageValidator().validate(buildMessage(AGENT, events.map((e) => toWireEvent(e))))).toEqual([]);
  expect(officialEventProblems(events)).toEqual([]);
}

describe('the Containers collector against a stand-in Docker API', () => {
  it('reports the inventory, the deployment findings as OSBaseline results, and a start/die pair as they happen', async () => {
    server = await startDockerApiServer({
      containers: [
        referenceContainer(PLAIN_ID, 'boring_euclid'),
        edgeModuleContainer(MODULE_ID, 'tempSensor', 'example:1.0', { HostConfig: { Privileged: true, LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } } } }),
      ],
    });
    const sink = recordingSink();
    // Real timers, one fixed "now": the sample event is the same on every run.
    const clock = { ...systemClock, now: () => Date.UTC(2026, 0, 1) };
    collector = createContainersCollector(collectorOptions({ clock, settings: { Containers_DockerSocket: server.socketPath } }));
    await collector.start?.(sink);
    await vi.waitFor(() => expect(server?.eventStreams()).toBe(1));
    expect(server.requests.find((r) => r.startsWith('/events'))).toContain(encodeURIComponent('"type":["container"]'));

    await collector.collect?.(sink);
    const inventory = sink.events.find((e) => e.name === 'ContainerInventory');
    expect(inventory?.category).toBe('Periodic');
    expect(inventory?.payload).toEqual([
      expect.objectContaining({ ContainerId: PLAIN_ID, Name: 'boring_euclid', Image: 'ubuntu', State: 'running', RestartCount: 1, ModuleName: '', StartedUtc: '2015-01-06T15:47:32.072697474Z' }),
      expect.objectContaining({
        ContainerId: MODULE_ID, Name: 'tempSensor', Image: 'example:1.0', ModuleName: 'tempSensor',
        ImageDigest: 'sha256:afcc7f1ac1b49db317a7196c902e61c6c3c4607d63599ee1a82d702d249a0ccb',
        ExtraDetails: expect.objectContaining({ DeploymentId: 'deployment-1', RestartPolicy: 'Always' }) as unknown,
      }),
    ]);
    const baseline = sink.events.find((e) => e.name === 'OSBaseline');
    const privileged = baseline?.payload.find((p) => p['CceId'] === 'EDGE-PRIVILEGED');
    expect(privileged).toMatchObject({ Result: 'Fail', Severity: 'Critical', Description: 'Module runs in privileged mode: tempSensor', ExtraDetails: { Module: 'tempSensor', Source: 'labels' } });
    // The module's labels set a log limit; the reference container has none and is judged on its inspect.
    const unbounded = baseline?.payload.filter((p) => p['CceId'] === 'EDGE-LOG-UNBOUNDED').map((p) => (p['ExtraDetails'] as Record<string, string>)['Module']);
    expect(unbounded).toEqual(['boring_euclid']);

    server.pushEvent(moduleEvent('start', 1_700_000_000_100_000_000n));
    server.pushEvent(moduleEvent('exec_start: sh', 1_700_000_000_200_000_000n));
    server.pushEvent(moduleEvent('die', 1_700_000_000_300_000_000n, { exitCode: '137', execDuration: '3' }));
    await vi.waitFor(() => expect(lifecycle(sink.events)).toHaveLength(2));
    expect(lifecycle(sink.events)).toEqual([
      { Action: 'Start', ContainerId: MODULE_ID, Name: 'tempSensor', Image: 'example:1.0', ModuleName: 'tempSensor' },
      { Action: 'Die', ContainerId: MODULE_ID, Name: 'tempSensor', Image: 'example:1.0', ModuleName: 'tempSensor', ExitCode: 137 },
    ]);
    expect(sink.events.find((e) => e.name === 'ContainerLifecycle')?.time).toBe(1_700_000_000_100);
    expectValidMessage(sink.events);
    expect(sink.errors).toEqual([]);
    expectSampleEvent('containers', sink.events, 'exact');
  });

  it('reconnects when the stream ends, resumes from the last event and skips its replay', async () => {
    server = await startDockerApiServer({ containers: [] });
    const sink = recordingSink();
    collector = createContainersCollector(collectorOptions({ settings: { Containers_DockerSocket: server.socketPath } }));
    await collector.start?.(sink);
    await vi.waitFor(() => expect(server?.eventStreams()).toBe(1));
    server.pushEvent(moduleEvent('start', 1_700_000_000_500_000_000n));
    await vi.waitFor(() => expect(lifecycle(sink.events)).toHaveLength(1));
    server.endEvents();
    await vi.waitFor(() => expect(server?.eventStreams()).toBe(2), { timeout: 10_000 });
    expect(server.requests.filter((r) => r.startsWith('/events')).at(-1)).toContain('since=1700000000.500000000');
    server.pushEvent(moduleEvent('start', 1_700_000_000_500_000_000n));
    server.pushEvent(moduleEvent('oom', 1_700_000_000_600_000_000n));
    await vi.waitFor(() => expect(lifecycle(sink.events).map((p) => p['Action'])).toEqual(['Start', 'Oom']));
    expect(collector.status?.()).toMatchObject({ state: 'running' });
  });

  it('waits quietly, without an error, and says so in its status when there is no socket', async () => {
    const missing = join(await mkdtemp(join(tmpdir(), 'no-docker-')), 'docker.sock');
    const sink = recordingSink();
    collector = createContainersCollector(collectorOptions({ settings: { Containers_DockerSocket: missing } }));
    await collector.start?.(sink);
    await vi.waitFor(() => expect(collector?.status?.().detail).toBe(`waiting for a container engine: no socket at ${missing}`));
    expect(collector.status?.().state).toBe('running');
    await collector.collect?.(sink);
    expect(sink.events).toEqual([]);
    expect(sink.errors).toEqual([]);
  });
});
