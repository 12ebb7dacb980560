import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeModules, imageParts, type ModuleSpec } from '../../src/edge/deployment-analysis.js';
import { createOptionsOf, manifestModules } from '../../src/edge/deployment-manifest.js';
import { rulesTable } from '../../src/edge/deployment-rules-table.js';
import { mobyRuntimeSocket, socketCandidates } from '../../src/edge/docker-socket.js';
import { UserInputError } from '../../src/errors.js';
import { packageFile } from '../../src/package-root.js';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOGGED = { LogConfig: { Type: 'local' } };

function spec(name: string, hostConfig: Record<string, unknown>, image = 'repo/app:1.0@sha256:abc'): ModuleSpec {
  return { name, image, createOptions: { HostConfig: { ...LOGGED, ...hostConfig } }, source: 'manifest', restartPolicy: 'always' };
}

const ids = (specs: ModuleSpec[]): string[] => analyzeModules(specs).map((f) => f.ruleId);

describe('the deployment rules', () => {
  it('pass a module with a tagged, pinned image, a log limit and no host access', () => {
    expect(analyzeModules([spec('m', {})])).toEqual([]);
  });

  it('read image references with registry ports, tags and digests', () => {
    expect(imageParts('localhost:5000/app')).toEqual({ repo: 'localhost:5000/app', tag: '', digest: '' });
    expect(imageParts('mcr.microsoft.com/azureiotedge-hub:1.5@sha256:1f')).toEqual({ repo: 'mcr.microsoft.com/azureiotedge-hub', tag: '1.5', digest: 'sha256:1f' });
    expect(ids([spec('m', {}, 'localhost:5000/app')])).toEqual(['EDGE-IMAGE-LATEST', 'EDGE-IMAGE-UNPINNED']);
    expect(ids([{ ...spec('m', {}, 'app:1.0'), digest: 'sha256:9' }])).toEqual([]);
  });

  it('leave the workload socket edged binds into every module, and edgeAgent its management socket', () => {
    const binds = ['/var/lib/aziot/edged/mnt/m.sock:/var/run/iotedge/workload.sock', '/var/lib/aziot/edged/mnt/edgeAgent.sock:/var/run/iotedge/mgmt.sock'];
    expect(ids([spec('edgeAgent', { Binds: binds })])).toEqual([]);
    expect(analyzeModules([spec('m', { Binds: binds })]).map((f) => f.detail)).toEqual(['binds /var/lib/aziot/edged/mnt/edgeAgent.sock at /var/run/iotedge/mgmt.sock (read-write)']);
  });

  it('see binds in Mounts too, and not named volumes or paths that only share a prefix', () => {
    const mounts = [{ Type: 'bind', Source: '/proc/', Target: '/host/proc', ReadOnly: true }, { Type: 'volume', Source: 'data', Target: '/data' }];
    expect(analyzeModules([spec('m', { Mounts: mounts, Binds: ['data:/data', '/etcetera:/x', '/var/lib/app:/app'] })]).map((f) => f.detail))
      .toEqual(['binds /proc at /host/proc (read-only)']);
  });

  it('see the engine socket behind a bind of / or /var/run, read-only or not', () => {
    expect(analyzeModules([spec('m', { Binds: ['/:/host:ro'] })]).map((f) => `${f.ruleId} ${f.detail}`)).toEqual([
      'EDGE-DOCKER-SOCKET binds / at /host (read-only), which holds /var/run/docker.sock',
      'EDGE-SENSITIVE-BIND binds / at /host (read-only)',
    ]);
    expect(ids([spec('m', { Binds: ['/var/run:/run-host'] })])).toEqual(['EDGE-DOCKER-SOCKET', 'EDGE-SENSITIVE-BIND']);
  });

  it('flag restart policy never only on the Edge runtime and security modules', () => {
    expect(ids([{ ...spec('sensor', {}), restartPolicy: 'never' }])).toEqual([]);
    expect(ids([{ ...spec('edgeHub', {}), restartPolicy: 'Never' }])).toEqual(['EDGE-RESTART-NEVER']);
  });

  it('match the table in the README', () => {
    const path = packageFile('collectors', 'containers', 'README.md');
    const readme = readFileSync(path, 'utf8');
    const start = readme.indexOf('<!-- rules:start -->\n');
    const end = readme.indexOf('<!-- rules:end -->');
    expect(start).toBeGreaterThan(0);
    const wanted = `${readme.slice(0, start + '<!-- rules:start -->\n'.length)}${rulesTable()}${readme.slice(end)}`;
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, wanted);
    else expect(readme).toBe(wanted);
  });
});

describe('a deployment manifest', () => {
  it('joins createOptions chunks in order before parsing', () => {
    const text = JSON.stringify({ HostConfig: { Privileged: true, CapAdd: ['NET_ADMIN'] } });
    const settings = { image: 'a:1', createOptions02: text.slice(20), createOptions: text.slice(0, 10), createOptions01: text.slice(10, 20) };
    expect(createOptionsOf(settings, 'modules.a')).toEqual(JSON.parse(text));
  });

  it('accepts the az CLI wrapper ({"content": {"modulesContent": ...}}) and createOptions as an object', () => {
    const doc = { content: { modulesContent: { $edgeAgent: { 'properties.desired': { modules: { a: { settings: { image: 'a:1', createOptions: { HostConfig: {} } } } } } } } } };
    expect(manifestModules(doc)).toEqual([{ name: 'a', image: 'a:1', createOptions: { HostConfig: {} }, source: 'manifest' }]);
  });

  it('refuses a module without an image, and a manifest without modules', () => {
    const desired = (modules: unknown): unknown => ({ modulesContent: { $edgeAgent: { 'properties.desired': { modules } } } });
    expect(() => manifestModules(desired({ a: { settings: {} } }))).toThrow(new UserInputError('modules.a: settings.image is missing'));
    expect(() => manifestModules(desired({}))).toThrow(UserInputError);
  });
});

describe('the engine socket', () => {
  it('comes from the Edge runtime config when set, and is also looked for under the host root', async () => {
    const root = await mkdtemp(join(tmpdir(), 'host-root-'));
    await mkdir(join(root, 'etc', 'aziot'), { recursive: true });
    await writeFile(join(root, 'etc', 'aziot', 'config.toml'), 'hostname = "dev"\n[agent]\nuri = "unix:///wrong.sock"\n[moby_runtime]\nuri = "unix:///var/run/iotedge-docker.sock"\nnetwork = "azure-iot-edge"\n');
    expect(await mobyRuntimeSocket(root)).toBe('/var/run/iotedge-docker.sock');
    expect(await socketCandidates('', root)).toEqual([
      '/var/run/iotedge-docker.sock', join(root, 'var/run/iotedge-docker.sock'), '/var/run/docker.sock', join(root, 'var/run/docker.sock'),
    ]);
    expect(await socketCandidates('/run/podman/podman.sock', '/')).toEqual(['/run/podman/podman.sock']);
  });
});
