/**
 * The real agent in a child process (node + dist only, `npm test` builds dist first) with the event
 * stream as its only collector, so a test can SIGKILL it mid-stream. Configured by environment:
 * AGENT_CS, AGENT_CA_FILE, AGENT_STATE_DIR, STREAM_PREFIX, STREAM_RATE (events per second per kind),
 * STREAM_INTERVALS (CollectorsCore_PriorityIntervals, default 1s,1s,1s).
 * Logs (pino JSON) go to stdout; a `{"produced":…}` line goes to stderr after every tick (stderr to a pipe is
 * synchronous on Linux, so the last line a SIGKILL leaves is exact).
 */
import { readFileSync } from 'node:fs';
import { createTunedAgent } from '../../dist/src/tuned-agent.js';
import { createLogger } from '../../dist/src/log.js';
import { createEventStream } from './event-stream.mjs';

const env = process.env;
const need = (name) => {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`stream-agent: ${name} is required`);
  return value;
};

const report = (produced, unique) => process.stderr.write(`${JSON.stringify({ produced, unique })}\n`);
const stream = createEventStream({ prefix: need('STREAM_PREFIX'), ratePerSec: Number(env.STREAM_RATE ?? '40'), onTick: report });
const agent = createTunedAgent({
  connectionString: need('AGENT_CS'),
  ca: readFileSync(need('AGENT_CA_FILE'), 'utf8'),
  stateDir: need('AGENT_STATE_DIR'),
  log: createLogger({ level: 'info' }),
  twinDefaults: { CollectorsCore_PriorityIntervals: env.STREAM_INTERVALS ?? '1s,1s,1s' },
  collectorSet: { Stream: stream.factory },
  random: () => 0,
  twinTimeoutMs: 5_000,
});

process.once('SIGTERM', () => {
  stream.pause();
  agent.stop().then(() => process.exit(0), () => process.exit(1));
});

await agent.start();
