import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { SecurityMessage } from '../../src/events/envelope.js';
import { messageValidator } from '../../src/events/message-schema.js';
import { eventsOf, startRig } from '../support/agent-harness.js';
import { officialProblems } from '../support/official-conformance.js';

const HOLD_CONNECTION = `const net = require('node:net');
const server = net.createServer(() => undefined).listen(0, '127.0.0.1', () => net.connect(server.address().port, '127.0.0.1'));
setTimeout(() => process.exit(0), 20000);`;

describe('every message the agent emits, with every collector on', () => {
  it('validates against the project schemas and, for catalogue events, the official ones unchanged (the repository\'s copies)', async () => {
    const rig = await startRig({
      twinDefaults: {
        CollectorsCore_PriorityIntervals: '1s,2s,3s', Process_MessageFrequency: 'High', NetworkActivity_MessageFrequency: 'High',
        NetworkActivity_IncludeLoopback: true, NetworkActivity_Devices: 'any', NetworkActivity_PollingInterval: 100_000,
        Statistics_MessageFrequency: 'High', SystemInformation_MessageFrequency: 'High',
      },
    });
    const { hub } = rig;
    await hub.waitForMessage(() => true, 10_000);
    // Activity to report: a process, and a TCP connection on loopback.
    const marker = `conformance-${process.pid}-${Date.now()}`;
    await new Promise((resolve) => spawn('sh', ['-c', `sleep 0.3; echo ${marker} >/dev/null`]).on('exit', resolve));
    // A loopback connection in a child (the agent skips its own process), open until reported: polling sees sockets that live across a poll.
    const holder = spawn(process.execPath, ['-e', HOLD_CONNECTION], { stdio: 'ignore' });
    const names = new Set<string>();
    const seen = (): boolean => {
      for (const m of hub.messages()) for (const e of eventsOf(m.body)) names.add(e.Name);
      return ['ProcessCreate', 'ConnectionCreate', 'ListeningPorts', 'Heartbeat', 'SystemInformation', 'DroppedEventsStatistics'].every((n) => names.has(n));
    };
    for (let i = 0; i < 150 && !seen(); i++) await new Promise((r) => setTimeout(r, 100));
    holder.kill();
    expect([...names].sort()).toEqual(expect.arrayContaining(['ConnectionCreate', 'Heartbeat', 'ListeningPorts', 'ProcessCreate', 'SystemInformation']));
    const ours = messageValidator();
    for (const m of hub.messages()) {
      const body = JSON.parse(m.body.toString('utf8')) as SecurityMessage;
      expect(ours.validate(body)).toEqual([]);
      expect(officialProblems(body)).toEqual([]);
      expect(m.size).toBeLessThanOrEqual(256 * 1024);
    }
  }, 30_000);
});
