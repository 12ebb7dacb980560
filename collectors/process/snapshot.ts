/** One-shot list of the host's processes, for `iot-micro-agent collect process --once`. */
import { join } from 'node:path';
import { createNodeHostFs, type HostFs } from './host-fs.js';
import { PasswdCache } from './passwd.js';
import { ProcReader, type ProcessInfo } from './proc-reader.js';

export interface SnapshotOptions {
  readonly fs?: HostFs;
  /** Problems other than "process gone" (EACCES on exe links when not root, ...). */
  readonly onProblem?: (what: string, path: string, err: unknown) => void;
}

/** Every user-space process under `<hostRoot>/proc`, sorted by pid; kernel threads are left out. */
export async function snapshotProcesses(hostRoot = '/', options: SnapshotOptions = {}): Promise<ProcessInfo[]> {
  const fs = options.fs ?? createNodeHostFs();
  const onProblem = options.onProblem ?? (() => undefined);
  const reader = new ProcReader(hostRoot, fs, onProblem);
  const passwd = new PasswdCache(join(hostRoot, 'etc', 'passwd'), fs, onProblem);
  passwd.refresh();
  const out: ProcessInfo[] = [];
  const pids = reader.listPids().sort((a, b) => a - b);
  for (let i = 0; i < pids.length; i++) {
    // Let the event loop breathe on hosts with thousands of processes.
    if (i > 0 && i % 128 === 0) await new Promise((resolve) => setImmediate(resolve));
    const outcome = reader.read(pids[i] as number);
    if (outcome.kind !== 'process') continue;
    const userName = passwd.lookup(outcome.info.uid);
    out.push(userName === undefined ? outcome.info : { ...outcome.info, userName });
  }
  return out;
}
