// What the resource benchmarks share: a host load (sleeping processes, loopback sockets held by one child),
// and readings of another process's CPU ticks and memory from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const SOCKET_HOLDER = `
  const net = require('node:net');
  const pairs = Number(process.argv[1]);
  const held = [];
  const server = net.createServer((s) => held.push(s)).listen(0, '127.0.0.1', () => {
    let open = 0;
    for (let i = 0; i < pairs; i++) {
      const c = net.connect(server.address().port, '127.0.0.1', () => { if (++open === pairs) process.send('ready'); });
      held.push(c);
    }
  });
`;

/** `sleepers` sleep processes and `sockets` loopback sockets (half clients, half accepted); stop() ends both. */
export async function startLoad({ sleepers, sockets }) {
  const children = [];
  for (let i = 0; i < sleepers; i++) children.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
  const holder = spawn(process.execPath, ['-e', SOCKET_HOLDER, String(Math.ceil(sockets / 2))], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(holder);
  const stop = () => { for (const c of children) c.kill('SIGKILL'); };
  process.once('exit', stop);
  await new Promise((resolve) => holder.once('message', resolve));
  return { stop };
}

/** utime + stime of `pid` in clock ticks (100 per second on Linux). */
export function cpuTicks(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** VmRSS and RssAnon (private memory) of `pid`, in MB. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, anonMb: kb('RssAnon') / 1024 };
}

/** The Node flags of a launcher's `#!/usr/bin/env -S node --flag ...` line, so a bench starts it as users do. */
export function launcherFlags(script) {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const words = first.replace(/^#!\S*env\s+(-S\s+)?/, '').split(/\s+/).filter(Boolean);
  return words[0] === 'node' ? words.slice(1) : [];
}
