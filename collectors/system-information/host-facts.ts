/**
 * systeminformation runs helper commands (lsblk, dmidecode, ...) from whatever process calls it. It runs
 * here in a child Node process registered as the agent's own, so those helpers are its descendants and the
 * process collector leaves them out without hiding anything else the host (or a gateway) spawns. It gets the
 * agent's own Node flags (under the unit's MemoryDenyWriteExecute a JIT-enabled Node would abort).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import type { SpawnedChildren } from '../types.js';
import { factsUnderHostRoot } from './host-root.js';
import type { HostFacts } from './parse.js';

const HELPER = `const si = require(process.argv[1]);
Promise.all([si.osInfo(), si.mem(), si.bios(), si.system(), si.blockDevices().catch(() => [])])
  .then(([os, mem, bios, system, blockDevices]) => process.stdout.write(JSON.stringify({ os, mem, bios, system, blockDevices })))
  .catch((err) => { process.stderr.write(String(err && err.message || err)); process.exitCode = 1; });`;

const HELPER_TIMEOUT_MS = 60_000;

/** The facts of the host under `hostRoot` (`/`: this machine as systeminformation sees it). */
export async function readHostFacts(spawned?: SpawnedChildren, hostRoot = '/'): Promise<HostFacts> {
  const facts = await systemInformation(spawned);
  return hostRoot === '/' || hostRoot === '' ? facts : factsUnderHostRoot(facts, hostRoot);
}

function systemInformation(spawned?: SpawnedChildren): Promise<HostFacts> {
  const siPath = createRequire(import.meta.url).resolve('systeminformation');
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [...process.execArgv, '-e', HELPER, siPath], { maxBuffer: 16 * 1024 * 1024, timeout: HELPER_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) return reject(new Error(stderr.trim() || err.message));
      try {
        resolve(JSON.parse(stdout) as HostFacts);
      } catch {
        reject(new Error('system information helper printed no facts'));
      }
    });
    spawned?.add(child);
  });
}
