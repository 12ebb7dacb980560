import { afterEach, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { SimulatedHub, startSimHubCommand } from '../../src/sim-hub/index.js';
import { openedClient } from './sdk-module.js';

describe('certificates and the sim-hub command', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('issues a localhost server certificate chained to its CA and reuses both from stateDir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-hub-test-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const first = await SimulatedHub.start({ stateDir: dir });
    await first.stop();
    const server = new X509Certificate(await readFile(join(dir, 'server-cert.pem')));
    const ca = new X509Certificate(first.caPem);
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(first.caFile).toBe(join(dir, 'ca.pem'));

    const second = await SimulatedHub.start({ stateDir: dir });
    cleanup.push(() => second.stop());
    expect(second.caPem).toBe(first.caPem);
    const client = await openedClient(second, second.createModule('dev-1'));
    cleanup.push(() => client.close().then(() => undefined));
    expect(second.connectedClients()).toEqual(['dev-1/DefenderIotMicroAgent']);
  });

  it('prints one JSON line with everything an agent needs to connect', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    const hub = await startSimHubCommand(['--device', 'edge-7'], out);
    cleanup.push(() => hub.stop());
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(1);
    const info = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(info).toMatchObject({
      host: '127.0.0.1', port: hub.port, caFile: hub.caFile, hubName: 'sim-hub.azure-devices.net',
      deviceId: 'edge-7', moduleId: 'DefenderIotMicroAgent',
    });
    expect(info['connectionString']).toContain(`GatewayHostName=localhost:${hub.port}`);
    await expect(readFile(hub.caFile, 'utf8')).resolves.toBe(hub.caPem);
  });

  it('rejects unknown arguments', async () => {
    await expect(startSimHubCommand(['--bogus'], new PassThrough())).rejects.toThrow(/unknown argument/);
  });

  it('stops idempotently and removes its temporary certificate directory', async () => {
    const hub = await SimulatedHub.start();
    await hub.stop();
    await hub.stop();
    await expect(readFile(hub.caFile)).rejects.toThrow();
  });
});
