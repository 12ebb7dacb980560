/**
 * A stand-in Docker Engine API on a unix socket in a temp dir: `/containers/json`, `/containers/{id}/json`,
 * `/images/{id}/json` and a streamed `/events`, answering with payloads copied from Docker's API reference
 * (test/fixtures/containers/docker-api). `edgeModuleContainer` dresses a copy as an edgeAgent-made module.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../../src/package-root.js';

export type Json = Record<string, unknown>;

/** A payload of Docker's API reference, fresh copy each call. */
export function dockerFixture(name: 'containers-list' | 'container-inspect' | 'image-inspect' | 'event-message' | 'error-404'): Json & unknown[] {
  return JSON.parse(readFileSync(packageFile('test', 'fixtures', 'containers', 'docker-api', `${name}.json`), 'utf8')) as Json & unknown[];
}

export interface StandInContainer {
  /** The `/containers/json` entry. */
  readonly summary: Json;
  /** The `/containers/{id}/json` answer. */
  readonly inspect: Json;
}

/** The reference's container (inspect example, and the first list example as its summary) with its own id. */
export function referenceContainer(id: string, name: string): StandInContainer {
  const summary = (dockerFixture('containers-list') as unknown as Json[])[0] ?? {};
  const inspect = dockerFixture('container-inspect');
  return { summary: { ...summary, Id: id, Names: [`/${name}`] }, inspect: { ...inspect, Id: id, Name: `/${name}` } };
}

/** A container as edgeAgent creates one: named after the module, with its net.azure-devices.edge.* labels. */
export function edgeModuleContainer(id: string, module: string, image: string, createOptions: Json, restartPolicy = 'Always'): StandInContainer {
  const base = referenceContainer(id, module);
  const labels = {
    'net.azure-devices.edge.owner': 'Microsoft.Azure.Devices.Edge.Agent',
    'net.azure-devices.edge.version': '1.0',
    'net.azure-devices.edge.restartPolicy': restartPolicy,
    'net.azure-devices.edge.desiredStatus': 'Running',
    'net.azure-devices.edge.normalizedCreateOptions': JSON.stringify(createOptions),
    'net.azure-devices.edge.configurationId': 'deployment-1',
  };
  const config = base.inspect['Config'] as Json;
  return {
    summary: { ...base.summary, Image: image, Labels: labels },
    inspect: { ...base.inspect, Config: { ...config, Image: image, Labels: labels } },
  };
}

export interface DockerApiServer {
  readonly socketPath: string;
  /** Paths (with query) of every request, in order. */
  readonly requests: string[];
  /** Event streams opened so far. */
  eventStreams(): number;
  /** Writes one EventMessage line to every open `/events` stream. */
  pushEvent(event: Json): void;
  /** Ends every open `/events` stream, as a restarting daemon does. */
  endEvents(): void;
  close(): Promise<void>;
}

export interface DockerApiServerOptions {
  readonly containers: readonly StandInContainer[];
  /** `/images/{id}/json` answers by image id; default: the reference's image inspect for every id. */
  readonly images?: Readonly<Record<string, Json>>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startDockerApiServer(opts: DockerApiServerOptions): Promise<DockerApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'docker-api-'));
  const socketPath = join(dir, 'docker.sock');
  const requests: string[] = [];
  const streams = new Set<ServerResponse>();
  let opened = 0;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const path = (url.split('?')[0] ?? '/').replace(/^\/v\d+\.\d+/, '');
    const notFound = (): void => send(res, 404, dockerFixture('error-404'));
    if (req.method !== 'GET') return send(res, 405, { message: 'method not allowed' });
    if (path === '/containers/json') return send(res, 200, opts.containers.map((c) => c.summary));
    const inspect = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (inspect) {
      const key = decodeURIComponent(inspect[1] ?? '');
      const found = opts.containers.find((c) => c.inspect['Id'] === key || c.inspect['Name'] === `/${key}`);
      return found ? send(res, 200, found.inspect) : notFound();
    }
    const image = /^\/images\/([^/]+)\/json$/.exec(path);
    if (image) {
      const id = decodeURIComponent(image[1] ?? '');
      const answer = opts.images ? opts.images[id] : dockerFixture('image-inspect');
      return answer ? send(res, 200, answer) : notFound();
    }
    if (path === '/events') {
      opened++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return undefined;
    }
    return send(res, 404, { message: 'page not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  server.unref();
  return {
    socketPath, requests,
    eventStreams: () => opened,
    pushEvent(event) {
      for (const res of streams) res.write(`${JSON.stringify(event)}\n`);
    },
    endEvents() {
      for (const res of [...streams]) res.end();
    },
    async close() {
      for (const res of [...streams]) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
