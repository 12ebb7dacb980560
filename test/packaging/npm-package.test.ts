/**
 * The npm package as a gateway developer gets it: what `npm pack` puts in the tarball, and the tarball installed
 * into an empty project, type-checked there under moduleResolution node16 and bundler, and run from plain ESM.
 * Needs the npm cache that `npm ci` filled (or the registry, as in CI); dist/ must be built (`npm test` does).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';

const run = promisify(execFile);
const REPO = packageFile();
const CONSUMER = join(import.meta.dirname, 'consumer');
const TSC = packageFile('node_modules', 'typescript', 'bin', 'tsc');

interface PackEntry { path: string }
interface PackResult { name: string; filename: string; files: PackEntry[]; bundled: string[] }

async function versionOf(pkg: string): Promise<string> {
  return (JSON.parse(await readFile(packageFile('node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

let work: string;
let project: string;
let packed: PackResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'npm-package-test-'));
  project = join(work, 'project');
  // --ignore-scripts: dist/ is already built; prepare would rebuild it under the other tests' feet.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: REPO, maxBuffer: 16 << 20 });
  packed = (JSON.parse(stdout) as PackResult[])[0] as PackResult;
  // The same versions as the repository's own, so the install can come from the npm cache.
  const pins = Object.fromEntries(await Promise.all(['@types/node', 'aedes', '@peculiar/x509', 'reflect-metadata'].map(async (p) => [p, await versionOf(p)])));
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The simulator's packages are optional peers: a gateway that uses iot-micro-agent/sim-hub installs them itself.
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error',
    join(work, packed.filename), ...Object.entries(pins).map(([p, v]) => `${p}@${v}`)], { cwd: project, maxBuffer: 16 << 20 });
  for (const f of ['use-root.ts', 'use-sim-hub.ts', 'run-agent.mjs']) await copyFile(join(CONSUMER, f), join(project, f));
}, 600_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function typeCheck(moduleKind: string, resolution: string, files: string[], extra: string[] = []): Promise<string> {
  const args = [TSC, '--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'ES2022', '--module', moduleKind,
    '--moduleResolution', resolution, '--types', 'node', ...extra, ...files];
  const { stdout } = await run(process.execPath, args, { cwd: project, maxBuffer: 16 << 20 }).catch((err: { stdout?: string }) => {
    throw new Error(`tsc (${resolution}) failed:\n${err.stdout ?? String(err)}`);
  });
  return stdout;
}

describe('the npm package', () => {
  it('holds the built entries, their types, the schemas and the service files, and no tests, sources or source maps', () => {
    const paths = packed.files.map((f) => f.path);
    for (const need of ['package.json', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/sim-hub/entry.js', 'dist/src/sim-hub/entry.d.ts',
      'dist/src/cli.js', 'dist/collectors/types.d.ts', 'config-schema/twin-desired.schema.json', 'message-schema/message_v1_0.json', 'systemd/install.sh']) {
      expect(paths).toContain(need);
    }
    const allowed = /^(package\.json|README\.md|dist\/(src|collectors)\/.+\.(js|d\.ts|json)|dist\/src\/config\/validators\/[\w-]+\.cjs|console\/[\w-]+\.(html|js|css|svg)|collectors\/[\w-]+\/README\.md|config-schema\/.+|message-schema\/.+|systemd\/.+|node_modules\/(@iot-micro-agent\/cn-proc|node-gyp-build)\/.+)$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    expect(paths.filter((p) => /(^|\/)test\/|\.test\.|\.map$/.test(p))).toEqual([]);
    // The process connector addon travels inside the tarball, prebuilt: a registry install cannot resolve file:packages/cn-proc.
    expect(packed.bundled.sort()).toEqual(['@iot-micro-agent/cn-proc', 'node-gyp-build']);
    expect(paths.some((p) => p.startsWith('node_modules/@iot-micro-agent/cn-proc/prebuilds/linux-x64/'))).toBe(true);
  });

  it('type-checks a gateway\'s TypeScript under moduleResolution node16 and bundler', async () => {
    await typeCheck('node16', 'node16', ['use-root.ts', 'use-sim-hub.ts']);
    await typeCheck('esnext', 'bundler', ['use-root.ts', 'use-sim-hub.ts']);
    // The root entry's types reach none of the simulator's declarations.
    const listed = (await typeCheck('node16', 'node16', ['use-root.ts'], ['--listFilesOnly'])).split('\n');
    expect(listed.some((f) => f.includes('/iot-micro-agent/dist/src/index.d.ts'))).toBe(true);
    expect(listed.filter((f) => /\/sim-hub\/|\/aedes\/|\/@peculiar\/|\/reflect-metadata\//.test(f))).toEqual([]);
  }, 300_000);

  it('runs from plain ESM JavaScript: the root entry\'s exports, and an agent on the package\'s simulated hub', async () => {
    const { stdout } = await run(process.execPath, ['run-agent.mjs'], { cwd: project, timeout: 120_000 });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { exports: string[]; refused: string; heartbeatFrom: string };
    expect(result.exports).toEqual(['AgentError', 'MicroAgent', 'NotConnectedError', 'TimeoutError', 'UserInputError', 'agentSchemas', 'defineCollector']);
    expect(result.refused).toBe('MicroAgent: give exactly one of connectionString, connectionStringFile or client (got none)');
    expect(result.heartbeatFrom).toBe('consumer');
  }, 180_000);
});
