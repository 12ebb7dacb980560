/** `iot-micro-agent demo`: the simulated hub and the agent in one process, one readable line per arriving message. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MicroAgent } from '../agent.js';
import { createLogger } from '../log.js';
import { SimulatedHub, type CapturedMessage } from '../sim-hub/index.js';
import { parseDuration, parseOptions, stringOption } from './options.js';
import { waitForSignal } from './run-command.js';

/** Short intervals so something arrives within seconds; a real fleet uses the documented 30/120/1440 minutes. */
export const DEMO_TWIN_DEFAULTS = {
  CollectorsCore_PriorityIntervals: '3s,6s,12s',
  Heartbeat_MessageFrequency: 'High',
  Process_MessageFrequency: 'Medium',
  NetworkActivity_MessageFrequency: 'Medium',
  Login_MessageFrequency: 'Medium',
  SystemInformation_MessageFrequency: 'Low',
  Statistics_MessageFrequency: 'Low',
} as const;

export function describeMessage(m: CapturedMessage): string {
  const time = new Date(m.receivedAt).toISOString().slice(11, 19);
  let summary = 'not JSON';
  try {
    const body = JSON.parse(m.body.toString('utf8')) as { Events?: { Name?: unknown }[] };
    const counts = new Map<string, number>();
    for (const e of body.Events ?? []) counts.set(String(e.Name), (counts.get(String(e.Name)) ?? 0) + 1);
    summary = [...counts].map(([n, c]) => `${n} x${c}`).join(', ');
  } catch {
    // shown as "not JSON"
  }
  const security = m.properties['$.ifid'] === 'urn:azureiot:Security:SecurityAgent:1' ? 'security message' : 'plain message';
  return `${time}  ${String(m.size).padStart(7)} bytes  ${security}  ${summary}`;
}

/** The console URL in a frame, so it stands out above the message lines that follow. */
export function consoleBanner(url: string): string {
  const lines = ['Web console of the simulated hub (open in a browser on this machine):', url,
    'The token in the URL is the only key: do not share it.'];
  const width = Math.max(...lines.map((l) => l.length));
  const rule = `+${'-'.repeat(width + 2)}+`;
  return [rule, ...lines.map((l) => `| ${l.padEnd(width)} |`), rule, ''].join('\n');
}

export async function demoCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { duration: { type: 'string', short: 'd' }, open: { type: 'boolean' } });
  const duration = stringOption(values, 'duration');
  const durationMs = duration === undefined ? undefined : parseDuration(duration, '--duration');
  const dir = await mkdtemp(join(tmpdir(), 'iot-micro-agent-demo-'));
  // Only errors, on stderr: the demo's own lines are what a first-time user should read.
  const log = createLogger({ level: 'error', destination: process.stderr });
  const hub = await SimulatedHub.start({ stateDir: join(dir, 'hub'), log });
  const identity = hub.createModule('demo-device');
  const out = process.stdout;
  out.write(`simulated IoT Hub on ${hub.host}:${hub.port} (TLS, CA ${hub.caFile}); agent connects as ${identity.deviceId}/${identity.moduleId}\n`);
  // The URL is printed, not opened: a browser's command line would show the token to every local user.
  out.write(values['open'] === true ? consoleBanner(hub.consoleUrl) : `web console: ${hub.consoleUrl}\n`);
  out.write(`showing each security message as it arrives${durationMs === undefined ? ' (Ctrl-C to stop)' : ` for ${Math.round(durationMs / 1000)} s`}\n`);
  hub.on('message', (m: CapturedMessage) => out.write(`${describeMessage(m)}\n`));
  const agent = new MicroAgent({ connectionString: identity.connectionString, ca: hub.caPem, stateDir: join(dir, 'agent'), log, twinDefaults: { ...DEMO_TWIN_DEFAULTS } });
  agent.on('reported', (r) => out.write(`twin reported: latest_state=${String(r['latest_state'])}\n`));
  await agent.start();
  if (durationMs === undefined) await waitForSignal();
  else await new Promise((resolve) => setTimeout(resolve, durationMs));
  await agent.stop();
  await hub.stop();
  out.write(`${hub.messages().length} messages received\n`);
  await rm(dir, { recursive: true, force: true });
  return 0;
}
