// A bounded host storm for the storm test and benchmark: short-lived /bin/true processes (shell loops started by
// several spawner children) and loopback TCP connections opened and closed by one child, each at a target rate
// for a fixed time; every child stops by itself (and is SIGKILLed by a guard shortly after its deadline).
import { spawn } from 'node:child_process';

const SPAWNER = `
  const { spawn } = require('node:child_process');
  const [rate, seconds, inFlightMax] = process.argv.slice(1).map(Number);
  const end = Date.now() + seconds * 1000;
  let started = 0, inFlight = 0;
  const t0 = Date.now();
  const tick = () => {
    const due = Math.min(Math.floor(((Date.now() - t0) / 1000) * rate), Math.ceil(rate * seconds));
    while (started < due && inFlight < inFlightMax && Date.now() < end) {
      // A shell loop forks /bin/true far faster than Node's spawn; each batch is a few dozen processes.
      const n = Math.min(due - started, 50);
      started += n; inFlight++;
      // A distinct argument per process, so the agent cannot fold them into one aggregated event.
      const c = spawn('/bin/sh', ['-c', 'i=0; while [ $i -lt ' + n + ' ]; do /bin/true storm-' + process.pid + '-' + started + '-$i; i=$((i+1)); done'], { stdio: 'ignore' });
      c.on('error', () => { inFlight--; started -= n; });
      c.on('exit', () => { inFlight--; });
    }
    if (Date.now() < end) setTimeout(tick, 5);
    else { const wait = () => inFlight > 0 ? setTimeout(wait, 10) : finish(); wait(); }
  };
  const finish = () => { process.stdout.write(JSON.stringify({ count: started, seconds: (Date.now() - t0) / 1000 })); process.exit(0); };
  tick();
`;

const CHURNER = `
  const net = require('node:net');
  const [rate, seconds, inFlightMax] = process.argv.slice(1).map(Number);
  const server = net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    const t0 = Date.now(); const end = t0 + seconds * 1000;
    let opened = 0, failed = 0, inFlight = 0;
    const tick = () => {
      const due = Math.floor(((Date.now() - t0) / 1000) * rate);
      while (opened + failed < due && inFlight < inFlightMax && Date.now() < end) {
        inFlight++;
        const c = net.connect(port, '127.0.0.1', () => { opened++; c.end(); });
        c.on('error', () => { failed++; });
        c.on('close', () => { inFlight--; });
      }
      if (Date.now() < end) setTimeout(tick, 5);
      else { server.close(); const wait = () => inFlight > 0 ? setTimeout(wait, 10) : finish(); wait(); }
    };
    const finish = () => { process.stdout.write(JSON.stringify({ count: opened, failed, seconds: (Date.now() - t0) / 1000 })); process.exit(0); };
    tick();
  });
`;

function runChild(script, args, seconds) {
  const child = spawn(process.execPath, ['-e', script, ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => { out += d; });
  const done = new Promise((resolve) => child.once('close', () => {
    clearTimeout(guard);
    process.off('exit', kill);
    try { resolve(JSON.parse(out)); } catch { resolve({ count: 0, failed: 0, seconds }); }
  }));
  return { child, done };
}

/**
 * Starts the storm; `done` resolves with the counts actually achieved once every child has stopped.
 * processesPerSecond is split over `spawners` children; stop() ends it early.
 */
export function startStorm({ processesPerSecond, connectionsPerSecond, seconds, spawners = 4 }) {
  const procs = [];
  for (let i = 0; i < spawners; i++) procs.push(runChild(SPAWNER, [processesPerSecond / spawners, seconds, 4], seconds));
  const conns = runChild(CHURNER, [connectionsPerSecond, seconds, 200], seconds);
  const all = [...procs, conns];
  const done = Promise.all(all.map((c) => c.done)).then((results) => {
    const p = results.slice(0, spawners);
    const n = results[spawners];
    const pSeconds = Math.max(...p.map((r) => r.seconds));
    const processes = p.reduce((s, r) => s + r.count, 0);
    return { processes, processesPerSecond: processes / pSeconds, connections: n.count, connectionsPerSecond: n.count / n.seconds, connectionsFailed: n.failed ?? 0 };
  });
  return { done, stop: () => { for (const c of all) c.child.kill('SIGKILL'); } };
}
