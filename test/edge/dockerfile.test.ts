/**
 * The module image and its deployment fragments, checked without a container engine (none in CI, and
 * hadolint is not in Debian 12): the Dockerfile's instructions and the manifests' createOptions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeModules } from '../../src/edge/deployment-analysis.js';
import { manifestModules } from '../../src/edge/deployment-manifest.js';
import { upstreamRoute } from '../../src/edge/edge-client.js';
import { DEFAULT_MODULE_ID } from '../../src/sim-hub/index.js';
import { packageFile } from '../../src/package-root.js';

interface Instruction { keyword: string; args: string; line: number }

/** Dockerfile instructions: comments dropped, `\` continuations joined; parser directives are comments here. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') start = i + 1;
    const continued = line.endsWith('\\');
    pending += `${continued ? line.slice(0, -1) : line} `;
    if (continued) return;
    const m = /^(\S+)\s*(.*)$/.exec(pending.trim());
    if (m?.[1] !== undefined) out.push({ keyword: m[1].toUpperCase(), args: (m[2] ?? '').replace(/\s+/g, ' ').trim(), line: start });
    pending = '';
  });
  if (pending !== '') throw new Error('Dockerfile ends inside a continued line');
  return out;
}

/** Instructions per stage: each FROM starts one. */
function stages(instructions: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') out.push([]);
    if (out.length === 0) throw new Error(`${ins.keyword} before the first FROM (line ${ins.line})`);
    out[out.length - 1]?.push(ins);
  }
  return out;
}

const dockerfile = parseDockerfile(readFileSync(packageFile('Dockerfile'), 'utf8'));
const all = stages(dockerfile);
const final = all[all.length - 1] ?? [];

describe('the module Dockerfile', () => {
  it('parses continuations and comments the way Docker does', () => {
    expect(parseDockerfile('# c\nFROM a:1 AS b\nRUN x \\\n  # inner comment\n  && y\n')).toEqual([
      { keyword: 'FROM', args: 'a:1 AS b', line: 2 }, { keyword: 'RUN', args: 'x && y', line: 3 },
    ]);
    expect(() => parseDockerfile('FROM a:1\nRUN x \\')).toThrow('continued line');
  });

  it('is multi-stage on one pinned Node 20 slim base, and the image takes only the build stage\'s output', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    const bases = all.map((s) => s[0]?.args.split(' ')[0] ?? '');
    for (const base of bases) expect(base).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(new Set(bases).size).toBe(1);
    expect(all[0]?.[0]?.args).toMatch(/ AS build$/);
    expect(final.filter((i) => i.keyword === 'COPY').every((i) => i.args.startsWith('--from=build '))).toBe(true);
  });

  it('runs as a non-root user, with an exec-form entry point and a deliberate HEALTHCHECK decision', () => {
    const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)$/);
    expect(final.find((i) => i.keyword === 'HEALTHCHECK')?.args).toBe('NONE');
    expect(JSON.parse(final.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? 'null')).toEqual(['iot-micro-agent']);
    expect(JSON.parse(final.find((i) => i.keyword === 'CMD')?.args ?? 'null')).toEqual(['run']);
  });

  it('installs production dependencies with npm ci --omit=dev, fetches nothing with ADD, keeps apt lean, copies only what exists', () => {
    const runs = dockerfile.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci --omit=dev\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm install\b/.test(r))).toBe(false);
    expect(dockerfile.filter((i) => i.keyword === 'ADD')).toEqual([]);
    expect(runs.filter((r) => /\bcurl\b|\bwget\b/.test(r))).toEqual([]);
    for (const r of runs.filter((x) => x.includes('apt-get install'))) {
      expect(r).toContain('--no-install-recommends');
      expect(r).toContain('rm -rf /var/lib/apt/lists/*');
    }
    for (const copy of all[0]?.filter((i) => i.keyword === 'COPY') ?? []) {
      const sources = copy.args.split(' ').slice(0, -1);
      for (const src of sources) expect(existsSync(packageFile(src)), `COPY source ${src} (line ${copy.line})`).toBe(true);
    }
    const ignored = readFileSync(packageFile('.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist']));
  });
});

interface CreateOptions {
  User?: string;
  HostConfig: { Binds?: string[]; PidMode?: string; NetworkMode?: string; Privileged?: boolean; CapAdd?: string[]; CapDrop?: string[]; SecurityOpt?: string[] };
}

describe.each(['deployment.template.json', 'deployment.full.template.json'])('packaging/edge/%s', (file) => {
  const manifest = JSON.parse(readFileSync(packageFile('packaging', 'edge', file), 'utf8')) as {
    modulesContent: Record<string, { 'properties.desired': Record<string, unknown> }>;
  };
  const agentDesired = manifest.modulesContent['$edgeAgent']?.['properties.desired'] as { modules: Record<string, { settings: { image: string; createOptions: string }; restartPolicy: string }> };
  const module = agentDesired.modules[DEFAULT_MODULE_ID];

  it('mounts the host read-only with its pid and network namespaces, never Privileged, with only the capabilities the collectors use', () => {
    expect(module).toBeDefined();
    const raw = module?.settings.createOptions ?? '';
    // edgeAgent splits twin values over 512 characters into createOptions01...; one chunk keeps the fragment simple.
    expect(raw.length).toBeLessThanOrEqual(512);
    const create = JSON.parse(raw) as CreateOptions;
    expect(create.HostConfig.Binds).toContain('/:/host:ro');
    expect(create.HostConfig.Binds?.filter((b) => !b.endsWith(':ro') && b.split(':')[0]?.startsWith('/'))).toEqual([]);
    expect(create.HostConfig).toMatchObject({ PidMode: 'host', NetworkMode: 'host', CapDrop: ['ALL'] });
    expect(create.HostConfig.Privileged).toBeUndefined();
    expect(create.HostConfig.SecurityOpt).toContain('no-new-privileges');
    for (const cap of create.HostConfig.CapAdd ?? []) expect(['NET_ADMIN', 'SYS_PTRACE', 'DAC_READ_SEARCH']).toContain(cap);
    if (create.User === undefined) expect(create.HostConfig.CapAdd).toBeUndefined();
  });

  it('is flagged by edge analyze for exactly what the agent needs and the README explains, never privileged mode', () => {
    const flagged = new Set(analyzeModules(manifestModules(manifest)).map((f) => f.ruleId));
    const expected = ['EDGE-DOCKER-SOCKET', 'EDGE-HOST-PID', 'EDGE-SENSITIVE-BIND', 'EDGE-HOST-NETWORK', 'EDGE-IMAGE-UNPINNED'];
    expect([...flagged].sort()).toEqual((file.includes('full') ? [...expected, 'EDGE-CAP-ADD'] : expected).sort());
  });

  it('pins the image to the package version and routes the SecurityMessages output to $upstream', () => {
    const version = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
    expect(module?.settings.image).toMatch(new RegExp(`/iot-micro-agent:${version.replace(/\./g, '\\.')}$`));
    expect(module?.restartPolicy).toBe('always');
    const routes = manifest.modulesContent['$edgeHub']?.['properties.desired']['routes'] as Record<string, string>;
    // The route the agent logs at start (edge-client.ts) is the one the fragment ships.
    expect(Object.values(routes)).toContain(upstreamRoute(DEFAULT_MODULE_ID));
  });
});
