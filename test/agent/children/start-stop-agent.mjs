// A gateway process that starts the agent (every built-in collector) from the root entry, waits for its first
// reported properties, stops it and then does nothing: it must exit by itself. Reports on stderr, never stdout.
import { readFileSync } from 'node:fs';
import { MicroAgent } from '../../../dist/src/index.js';

const watched = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection', 'warning'];
const count = () => Object.fromEntries(watched.map((e) => [e, process.listenerCount(e)]));
const before = count();
const agent = new MicroAgent({
  connectionString: process.env.AGENT_CS, ca: readFileSync(process.env.AGENT_CA_FILE, 'utf8'), stateDir: process.env.AGENT_STATE_DIR,
  twinDefaults: { CollectorsCore_PriorityIntervals: '1s,2s,3s', Heartbeat_MessageFrequency: 'High' },
});
const reported = new Promise((resolve) => agent.once('reported', resolve));
await agent.start();
await reported;
const running = count();
await agent.stop();
const after = count();
const added = (now) => watched.filter((e) => now[e] !== before[e]);
process.stderr.write(`${JSON.stringify({ stopped: true, addedWhileRunning: added(running), addedAfterStop: added(after) })}\n`);
// Diagnosis only, unref'd so it cannot keep the process alive: what still holds it, if it lingers.
setTimeout(() => process.stderr.write(`${JSON.stringify({ lingering: process.getActiveResourcesInfo() })}\n`), 5_000).unref();
