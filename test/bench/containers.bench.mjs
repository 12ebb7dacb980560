// Containers collector cost against a stand-in Docker API on a unix socket (the API reference's payloads):
// one inventory of N containers (list, N inspects, image inspect), the deployment rules on N modules, and the
// delay from an event written on the /events stream to the collector's hand-over.
// Build first: `npx tsc -p .`, then `node test/bench/containers.bench.mjs`. BENCH_RUNS (default 30), BENCH_CONTAINERS (default 100).
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { recordResult } from './results.mjs';

const dist = new URL('../../dist/', import.meta.url);
const { readContainers } = await import(new URL('src/edge/container-inventory.js', dist).href);
const { DockerClient } = await import(new URL('src/edge/docker-client.js', dist).href);
const { analyzeModules } = await import(new URL('src/edge/deployment-analysis.js', dist).href);
const { EventWatch } = await import(new URL('collectors/containers/event-watch.js', dist).href);
const { systemClock } = await import(new URL('src/clock.js', dist).href);
const { silentLogger } = await import(new URL('src/log.js', dist).href);

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const N = Number(process.env.BENCH_CONTAINERS ?? 100);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fixture = (name) => JSON.parse(readFileSync(new URL(`../fixtures/containers/docker-api/${name}.json`, import.meta.url), 'utf8'));

const createOptions = JSON.stringify({ HostConfig: { Privileged: true, Binds: ['/etc:/host/etc:ro'], LogConfig: { Type: 'local' } } });
const containers = Array.from({ length: N }, (_, i) => {
  const id = i.toString(16).padStart(64, '0');
  const labels = { 'net.azure-devices.edge.owner': 'Microsoft.Azure.Devices.Edge.Agent', 'net.azure-devices.edge.normalizedCreateOptions': createOptions, 'net.azure-devices.edge.restartPolicy': 'Always' };
  const inspect = fixture('container-inspect');
  return { summary: { ...fixture('containers-list')[0], Id: id, Names: [`/module${i}`], Labels: labels }, inspect: { ...inspect, Id: id, Name: `/module${i}`, Config: { ...inspect.Config, Image: 'example:1.0', Labels: labels } } };
});
const byId = new Map(containers.map((c) => [c.inspect.Id, JSON.stringify(c.inspect)]));
const list = JSON.stringify(containers.map((c) => c.summary));
const image = JSON.stringify(fixture('image-inspect'));
const streams = new Set();

const dir = mkdtempSync(join(tmpdir(), 'containers-bench-'));
const socketPath = join(dir, 'docker.sock');
const server = createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/events') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    streams.add(res);
    return;
  }
  const inspect = /^\/containers\/([0-9a-f]+)\/json$/.exec(path);
  const body = path === '/containers/json' ? list : inspect ? byId.get(inspect[1]) : path.startsWith('/images/') ? image : undefined;
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(body ?? '{"message":"not found"}');
});
await new Promise((resolve) => server.listen(socketPath, resolve));

const client = new DockerClient({ socketPath });
const inventory = { wall: [], cpu: [] };
let specs = [];
for (let i = 0; i < RUNS; i++) {
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  const found = await readContainers(client);
  inventory.wall.push(performance.now() - t0);
  const u = process.cpuUsage(u0);
  inventory.cpu.push((u.user + u.system) / 1000);
  specs = found.map((c) => c.spec);
}
const rules = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  analyzeModules(specs);
  rules.push(performance.now() - t0);
}

// Event hand-over delay: write one event, wait for it, RUNS times.
const delays = [];
let resolveSeen;
const watch = new EventWatch({
  clock: systemClock, log: silentLogger(), resolveSocket: async () => socketPath, missingDetail: () => '', onState: () => {},
  onEvent: () => resolveSeen?.(),
});
watch.start();
while (streams.size === 0) await new Promise((r) => setTimeout(r, 5));
const event = fixture('event-message');
for (let i = 0; i < RUNS; i++) {
  const seen = new Promise((r) => { resolveSeen = r; });
  const nano = BigInt(Date.now()) * 1_000_000n + BigInt(i);
  const line = `${JSON.stringify({ ...event, Action: 'start', time: Math.floor(Date.now() / 1000), timeNano: 0 }).replace('"timeNano":0', `"timeNano":${nano}`)}\n`;
  const t0 = performance.now();
  for (const s of streams) s.write(line);
  await seen;
  delays.push(performance.now() - t0);
}
await watch.stop();
for (const s of streams) s.destroy();
server.closeAllConnections();
server.close();
rmSync(dir, { recursive: true, force: true });

const figures = {
  containers: N,
  inventoryMedianWallMs: Number(median(inventory.wall).toFixed(1)),
  inventoryMedianCpuMs: Number(median(inventory.cpu).toFixed(1)),
  rulesMedianMs: Number(median(rules).toFixed(2)),
  eventMedianDelayMs: Number(median(delays).toFixed(2)),
};
console.log('| what | median |\n| --- | --- |');
console.log(`| inventory of ${N} containers (list + ${N} inspects + image), wall | ${figures.inventoryMedianWallMs} ms |`);
console.log(`| same, CPU | ${figures.inventoryMedianCpuMs} ms |`);
console.log(`| deployment rules on ${N} modules | ${figures.rulesMedianMs} ms |`);
console.log(`| /events line written to collector hand-over | ${figures.eventMedianDelayMs} ms |`);
console.log(`\n${RUNS} runs each, node ${process.version}`);
recordResult('containers', figures);
