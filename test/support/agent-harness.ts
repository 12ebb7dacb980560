/** A simulated hub and a real agent (real azure-iot-device client over TLS on loopback), torn down after each test. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach } from 'vitest';
import type { MicroAgent } from '../../src/agent.js';
import { createTunedAgent, type TunedAgentOptions } from '../../src/tuned-agent.js';
import { createLogger } from '../../src/log.js';
import { SimulatedHub, type ModuleIdentity } from '../../src/sim-hub/index.js';

/** Fast intervals for tests: the first send comes within a second. */
export const FAST_TWIN = {
  CollectorsCore_PriorityIntervals: '1s,2s,3s',
  Heartbeat_MessageFrequency: 'High',
  SystemInformation_MessageFrequency: 'High',
  Process_Disabled: true,
  Login_Disabled: true,
  NetworkActivity_Disabled: true,
  SBoM_Disabled: true,
  // A CIS run and a sysfs poll are not what these tests are about; the posture tests turn them on.
  Baseline_Disabled: true,
  Peripheral_Disabled: true,
  Containers_Disabled: true,
};

export interface LogRecord { level: number; msg?: string; [k: string]: unknown }

export interface Rig {
  hub: SimulatedHub;
  identity: ModuleIdentity;
  dir: string;
  logs: LogRecord[];
  /** The simulated hub's own log (what it refused, closed, dropped). */
  hubLogs: LogRecord[];
  agent: MicroAgent;
  makeAgent(overrides?: Partial<TunedAgentOptions>): MicroAgent;
  close(): Promise<void>;
}

const open = new Set<Rig>();

/** Every rig a test started is closed after it, pass or fail; a file importing this gets the hook. */
async function closeOpenRigs(): Promise<void> {
  const rigs = [...open];
  open.clear();
  for (const rig of rigs) await rig.close();
}
afterEach(closeOpenRigs);
afterAll(closeOpenRigs);

export async function startRig(overrides: Partial<TunedAgentOptions> = {}, options: { startAgent?: boolean } = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-rig-'));
  const hubLogs: LogRecord[] = [];
  const hub = await SimulatedHub.start({ stateDir: join(dir, 'hub'), log: createLogger({ level: 'info', destination: collectInto(hubLogs) }) });
  const identity = hub.createModule('test-device');
  const logs: LogRecord[] = [];
  const log = createLogger({ level: 'debug', destination: collectInto(logs) });
  const agents: MicroAgent[] = [];
  const makeAgent = (more: Partial<TunedAgentOptions> = {}): MicroAgent => {
    const agent = createTunedAgent({
      connectionString: identity.connectionString, ca: hub.caPem, stateDir: join(dir, 'agent'), log,
      twinDefaults: FAST_TWIN, random: () => 0, flushBeforeApplyMs: 1_000, twinTimeoutMs: 5_000, ...overrides, ...more,
    });
    agents.push(agent);
    return agent;
  };
  const agent = makeAgent();
  let closed = false;
  const rig: Rig = {
    hub, identity, dir, logs, hubLogs, agent, makeAgent,
    async close() {
      if (closed) return;
      closed = true;
      open.delete(rig);
      for (const a of agents) await a.stop();
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  open.add(rig);
  if (options.startAgent !== false) await agent.start();
  return rig;
}

/** A pino destination that parses each line into `records`. */
function collectInto(records: LogRecord[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line) as LogRecord);
      cb();
    },
  });
}

export function eventsOf(body: Buffer): { Name: string; [k: string]: unknown }[] {
  return (JSON.parse(body.toString('utf8')) as { Events: { Name: string }[] }).Events;
}
