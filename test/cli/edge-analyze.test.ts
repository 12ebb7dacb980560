import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_RULES } from '../../src/edge/deployment-analysis.js';
import { packageFile } from '../../src/package-root.js';
import { edgeModuleContainer, startDockerApiServer, type DockerApiServer } from '../support/docker-api-server.js';

const run = promisify(execFile);
const CLI = packageFile('dist', 'src', 'cli.js');
const MANIFESTS = packageFile('test', 'fixtures', 'edge-manifests');

interface Result { code: number; stdout: string; stderr: string }

async function cli(args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as Result;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Report { source: string; modules: string[]; findings: { ruleId: string; module: string; severity: string; detail: string; remediation: string }[] }

function expectOneLineError(r: Result, text: string): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(text);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  expect(r.stdout).toBe('');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-analyze-'));
});

describe('iot-micro-agent edge analyze --manifest', () => {
  it('reports every risky setting of a manifest, each rule at least once, and exits 1', async () => {
    const r = await cli(['edge', 'analyze', '--manifest', join(MANIFESTS, 'risky.json'), '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.source).toBe('manifest');
    expect(report.modules).toEqual(['edgeAgent', 'edgeHub', 'gateway', 'securityAgent']);
    expect(new Set(report.findings.map((f) => f.ruleId))).toEqual(new Set(DEPLOYMENT_RULES.map((rule) => rule.id)));
    const of = (module: string): string[] => report.findings.filter((f) => f.module === module).map((f) => f.ruleId).sort();
    expect(of('gateway')).toEqual([
      'EDGE-APPARMOR-UNCONFINED', 'EDGE-CAP-ADD', 'EDGE-DEVICES', 'EDGE-DOCKER-SOCKET', 'EDGE-HOST-IPC', 'EDGE-HOST-NETWORK', 'EDGE-HOST-PID',
      'EDGE-HOST-USERNS', 'EDGE-HOST-UTS', 'EDGE-IMAGE-LATEST', 'EDGE-IMAGE-UNPINNED', 'EDGE-LOG-UNBOUNDED', 'EDGE-PRIVILEGED', 'EDGE-SECCOMP-UNCONFINED',
      'EDGE-SENSITIVE-BIND',
    ]);
    expect(of('securityAgent')).toEqual(['EDGE-DEBUG-IMAGE', 'EDGE-IMAGE-UNPINNED', 'EDGE-LOG-UNBOUNDED', 'EDGE-RESTART-NEVER']);
    expect(of('edgeAgent')).toEqual([]);
    expect(of('edgeHub')).toEqual([]);
    expect(report.findings.find((f) => f.ruleId === 'EDGE-SENSITIVE-BIND')?.detail).toBe('binds /etc at /host/etc (read-only)');
    expect(report.findings.every((f) => f.remediation.length > 0)).toBe(true);
  });

  it('prints the same findings as text, worst first, with a summary line', async () => {
    const r = await cli(['edge', 'analyze', '--manifest', join(MANIFESTS, 'risky.json')]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Critical\s+EDGE-DOCKER-SOCKET\s+gateway: binds \/var\/run\/docker.sock at \/var\/run\/docker.sock \(read-write\)$/);
    expect(lines.at(-1)).toMatch(/^\d+ findings \(2 Critical, \d+ Important, \d+ Warning, 2 Informational\) in 4 modules \(manifest .*risky\.json\)\.$/);
  });

  it('reports nothing on a clean manifest and exits 0', async () => {
    const r = await cli(['edge', 'analyze', '--manifest', join(MANIFESTS, 'clean.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No finding in 3 modules \(manifest .*clean\.json\)\.\n$/);
    const json = await cli(['edge', 'analyze', '--manifest', join(MANIFESTS, 'clean.json'), '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as Report).findings).toEqual([]);
  });

  it('exits 2 with one line for a manifest that is missing, not JSON, not a manifest, or has a broken createOptions', async () => {
    expectOneLineError(await cli(['edge', 'analyze', '--manifest', join(dir, 'absent.json')]), 'cannot read it (ENOENT)');
    await writeFile(join(dir, 'text.json'), '{"registryCredentials": {"password": "s3cret-value" x');
    const notJson = await cli(['edge', 'analyze', '--manifest', join(dir, 'text.json')]);
    expectOneLineError(notJson, 'not JSON');
    expect(notJson.stderr).not.toContain('s3cret');
    await writeFile(join(dir, 'other.json'), '{"properties": {"desired": {}}}');
    expectOneLineError(await cli(['edge', 'analyze', '--manifest', join(dir, 'other.json')]), "no modulesContent.$edgeAgent['properties.desired']");
    const broken = JSON.parse(await readFile(join(MANIFESTS, 'clean.json'), 'utf8')) as { modulesContent: Record<string, { 'properties.desired': { modules: Record<string, { settings: Record<string, unknown> }> } }> };
    const settings = broken.modulesContent['$edgeAgent']?.['properties.desired'].modules['securityAgent']?.settings ?? {};
    settings['createOptions01'] = '}}';
    await writeFile(join(dir, 'broken.json'), JSON.stringify(broken));
    expectOneLineError(await cli(['edge', 'analyze', '--manifest', join(dir, 'broken.json')]), 'modules.securityAgent: createOptions is not JSON');
  });
});

describe('iot-micro-agent edge analyze on the running containers', () => {
  let server: DockerApiServer;
  beforeAll(async () => {
    server = await startDockerApiServer({
      containers: [edgeModuleContainer('c'.repeat(64), 'gateway', 'example:1.0', { HostConfig: { Privileged: true, LogConfig: { Type: 'local' } } }, 'Always')],
    });
  });
  afterAll(async () => server.close());

  it('judges the module through the socket with the same rules and output', async () => {
    const r = await cli(['edge', 'analyze', '--socket', server.socketPath, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.source).toBe('containers');
    expect(report.findings.map((f) => [f.ruleId, f.module])).toEqual([['EDGE-PRIVILEGED', 'gateway'], ['EDGE-IMAGE-UNPINNED', 'gateway']]);
  });

  it('exits 2 with one line when there is no socket', async () => {
    expectOneLineError(await cli(['edge', 'analyze', '--socket', join(dir, 'none.sock')]), 'no container engine socket at');
  });
});
