/** Real agent, real SDK over TLS to the simulated hub, a stand-in Docker API on a unix socket: inventory, findings and a die arrive. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SecurityMessage } from '../../../src/events/envelope.js';
import { messageValidator } from '../../../src/events/message-schema.js';
import { FAST_TWIN, eventsOf, startRig } from '../../support/agent-harness.js';
import { dockerFixture, edgeModuleContainer, startDockerApiServer, type DockerApiServer } from '../../support/docker-api-server.js';
import { officialProblems } from '../../support/official-conformance.js';

const ID = 'd'.repeat(64);
interface Item { [k: string]: unknown; ExtraDetails?: Record<string, string> }
const items = (body: Buffer, name: string): Item[] => eventsOf(body).filter((e) => e.Name === name).flatMap((e) => e['Payload'] as Item[]);

let server: DockerApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the Containers collector through the real agent', () => {
  it('sends the inventory, the deployment findings as OSBaseline and a container death to the hub', async () => {
    server = await startDockerApiServer({
      containers: [edgeModuleContainer(ID, 'gateway', 'example:latest', { HostConfig: { PidMode: 'host', Binds: ['/var/run/docker.sock:/var/run/docker.sock'] } })],
    });
    const rig = await startRig({
      twinDefaults: { ...FAST_TWIN, Containers_Disabled: false, Containers_MessageFrequency: 'High', Containers_DockerSocket: server.socketPath },
    });
    const first = await rig.hub.waitForMessage((m) => items(m.body, 'ContainerInventory').length > 0 && items(m.body, 'OSBaseline').length > 0, 20_000);
    expect(items(first.body, 'ContainerInventory')).toEqual([expect.objectContaining({ ContainerId: ID, ModuleName: 'gateway', Image: 'example:latest' })]);
    expect(items(first.body, 'OSBaseline').map((i) => i['CceId']).sort()).toEqual(['EDGE-DOCKER-SOCKET', 'EDGE-HOST-PID', 'EDGE-IMAGE-LATEST', 'EDGE-IMAGE-UNPINNED', 'EDGE-LOG-UNBOUNDED']);

    await vi.waitFor(() => expect(server?.eventStreams()).toBeGreaterThan(0), { timeout: 10_000 });
    const event = dockerFixture('event-message');
    server.pushEvent({ ...event, Action: 'die', Actor: { ID: ID, Attributes: { name: 'gateway', image: 'example:latest', exitCode: '1', 'net.azure-devices.edge.owner': 'Microsoft.Azure.Devices.Edge.Agent' } } });
    const died = await rig.hub.waitForMessage((m) => items(m.body, 'ContainerLifecycle').some((i) => i['Action'] === 'Die'), 20_000);
    // The aggregator adds HitCount, StartTimeUtc and EndTimeUtc in ExtraDetails.
    expect(items(died.body, 'ContainerLifecycle')).toEqual([{
      Action: 'Die', ContainerId: ID, Name: 'gateway', Image: 'example:latest', ModuleName: 'gateway', ExitCode: 1,
      ExtraDetails: expect.objectContaining({ HitCount: '1' }) as unknown,
    }]);
    for (const m of [first, died]) {
      const message = JSON.parse(m.body.toString('utf8')) as SecurityMessage;
      expect(messageValidator().validate(message)).toEqual([]);
      expect(officialProblems(message)).toEqual([]);
    }
  }, 60_000);
});
