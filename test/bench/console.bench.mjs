// The simulated hub's web console: a devices page over a large registry, SSE delivery of a message to an open
// page, and what an arriving message costs the hub with no page open. Real HTTPS to the hub's service port.
// Run: npx tsc -p . && node test/bench/console.bench.mjs   (imports the compiled code in dist/)
import * as https from 'node:https';
import { SimulatedHub } from '../../dist/src/sim-hub/index.js';
import { recordResult } from './results.mjs';

const DEVICES = Number(process.env.DEVICES ?? 100_000);
const REQUESTS = Number(process.env.REQUESTS ?? 21);
const MESSAGES = Number(process.env.MESSAGES ?? 201);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const hub = await SimulatedHub.start({});
hub.service.seedDevices(DEVICES);
for (let i = 1; i <= DEVICES; i += 2) hub.createModule(`sim-device-${String(i).padStart(6, '0')}`);
const token = new URL(hub.consoleUrl).searchParams.get('token');
const agent = new https.Agent({ keepAlive: true, ca: hub.caPem });
const base = { host: '127.0.0.1', port: hub.servicePort, servername: 'localhost', agent };

function get(path) {
  return new Promise((resolve, reject) => {
    https.get({ ...base, path: `${path}${path.includes('?') ? '&' : '?'}token=${token}` }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    }).on('error', reject);
  });
}

async function timed(path) {
  const ms = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await get(path);
    ms.push(performance.now() - t);
  }
  return median(ms);
}

const firstPage = await timed('/console/api/devices?pageSize=100');
const lastPage = await timed(`/console/api/devices?pageSize=100&page=${Math.floor(DEVICES / 100) - 1}`);
const search = await timed('/console/api/devices?search=0999&pageSize=100');

// One security message of the agent's shape (about 4 KB), emitted as the broker's capture does.
const body = Buffer.from(JSON.stringify({ AgentVersion: '1', AgentId: 'x', MessageSchemaVersion: '1.0', Events: Array.from({ length: 8 }, (_, i) => ({
  Id: `id-${i}`, Name: i % 2 ? 'Process' : 'Heartbeat', Category: 'Triggered', EventType: 'Security', Payload: Array.from({ length: 4 }, () => ({ Executable: '/usr/bin/x'.repeat(8) })),
})) }));
const message = (n) => ({ deviceId: 'sim-device-000001', moduleId: 'DefenderIotMicroAgent', body, properties: { n: String(n) }, receivedAt: Date.now(), size: body.length });

let t = performance.now();
for (let i = 0; i < 10_000; i++) hub.emit('message', message(i));
const idleUs = ((performance.now() - t) * 1000) / 10_000;

let streamEnded;
const delivery = await new Promise((resolve, reject) => {
  const req = https.get({ ...base, agent: undefined, ca: hub.caPem, path: `/console/api/events?token=${token}` }, (res) => {
    const ms = [];
    let sentAt = 0;
    let buffer = '';
    const next = () => { sentAt = performance.now(); hub.emit('message', message(ms.length)); };
    streamEnded = new Promise((done) => res.on('close', done));
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      if (!buffer.includes('event: message') || !buffer.endsWith('\n\n')) return;
      ms.push(performance.now() - sentAt);
      buffer = '';
      if (ms.length === MESSAGES) resolve(median(ms)); else setImmediate(next);
    });
    setImmediate(next);
  });
  req.on('error', (err) => { if (err.code !== 'ECONNRESET') reject(err); });
});

t = performance.now();
await hub.stop();
await streamEnded;
const stopMs = performance.now() - t;
agent.destroy();

const figures = { devices: DEVICES, firstPageMs: firstPage, lastPageMs: lastPage, searchMs: search, idleMessageUs: idleUs, sseDeliveryMs: delivery, stopMs };
console.log(`| web console, ${DEVICES} devices (half with the agent module), node ${process.version} | median |`);
console.log('| --- | ---: |');
console.log(`| GET devices, first page of 100, ms (${REQUESTS} requests) | ${firstPage.toFixed(1)} |`);
console.log(`| GET devices, last page of 100, ms | ${lastPage.toFixed(1)} |`);
console.log(`| GET devices, search matching 100, ms | ${search.toFixed(1)} |`);
console.log(`| an arriving 4 KB message with no page open, µs (mean of 10,000) | ${idleUs.toFixed(1)} |`);
console.log(`| the same message to an open event stream, ms (${MESSAGES} messages) | ${delivery.toFixed(2)} |`);
console.log(`| hub.stop() with an event stream open, until the stream ends, ms (one run) | ${stopMs.toFixed(0)} |`);
recordResult('console', figures);
