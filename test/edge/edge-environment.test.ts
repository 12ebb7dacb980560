import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { upstreamRoute } from '../../src/edge/edge-client.js';
import { edgeHostRoot, readEdgeEnvironment } from '../../src/edge/edge-environment.js';
import { UserInputError } from '../../src/errors.js';
import { WorkloadApi } from '../../src/sim-hub/index.js';

const FULL = {
  IOTEDGE_WORKLOADURI: 'unix:///var/run/iotedge/workload.sock', IOTEDGE_DEVICEID: 'gw-1', IOTEDGE_MODULEID: 'DefenderIotMicroAgent',
  IOTEDGE_MODULEGENERATIONID: '637', IOTEDGE_IOTHUBHOSTNAME: 'hub.azure-devices.net', IOTEDGE_GATEWAYHOSTNAME: 'gw-1.local',
  IOTEDGE_APIVERSION: '2019-01-30', IOTEDGE_AUTHSCHEME: 'sasToken',
};

describe('the IoT Edge environment', () => {
  it('is absent without IOTEDGE_* variables, and read whole with them', () => {
    expect(readEdgeEnvironment({ PATH: '/usr/bin', EdgeHubConnectionString: '' })).toBeUndefined();
    expect(readEdgeEnvironment(FULL)).toEqual({
      address: { hostName: 'hub.azure-devices.net', deviceId: 'gw-1', moduleId: 'DefenderIotMicroAgent', gatewayHostName: 'gw-1.local' },
      workloadUri: 'unix:///var/run/iotedge/workload.sock', generationId: '637', apiVersion: '2019-01-30',
    });
    const { IOTEDGE_GATEWAYHOSTNAME: _gateway, ...direct } = FULL;
    expect(readEdgeEnvironment({ ...direct, IOTEDGE_WORKLOADURI: 'http://127.0.0.1:15581' })?.address.gatewayHostName).toBeUndefined();
    expect(upstreamRoute('DefenderIotMicroAgent')).toBe('FROM /messages/modules/DefenderIotMicroAgent/outputs/SecurityMessages INTO $upstream');
  });

  it.each([
    [{ ...FULL, IOTEDGE_DEVICEID: ' ' }, 'incomplete IoT Edge environment: IOTEDGE_DEVICEID not set'],
    [{ IOTEDGE_MODULEID: 'm' }, 'IOTEDGE_WORKLOADURI, IOTEDGE_DEVICEID, IOTEDGE_MODULEGENERATIONID, IOTEDGE_IOTHUBHOSTNAME, IOTEDGE_AUTHSCHEME not set'],
    [{ ...FULL, IOTEDGE_AUTHSCHEME: 'x509' }, 'IOTEDGE_AUTHSCHEME "x509" is not supported: only sasToken'],
    [{ ...FULL, IOTEDGE_WORKLOADURI: 'not a uri' }, 'IOTEDGE_WORKLOADURI "not a uri" is not a URI'],
    [{ ...FULL, IOTEDGE_WORKLOADURI: 'unix://' }, 'must be unix:///path/to/workload.sock or http://host:port'],
    [{ ...FULL, IOTEDGE_WORKLOADURI: 'ftp://x/y' }, 'must be unix:///path/to/workload.sock or http://host:port'],
  ])('refuses %j with one line', (env, message) => {
    expect(() => readEdgeEnvironment(env)).toThrow(UserInputError);
    expect(() => readEdgeEnvironment(env)).toThrow(message);
  });

  it('defaults the host root to /host when the host is mounted there, and keeps a configured one', () => {
    const mounted = (p: string): boolean => p === '/host/proc';
    expect(edgeHostRoot('/', mounted)).toBe('/host');
    expect(edgeHostRoot('/', () => false)).toBe('/');
    expect(edgeHostRoot('/mnt/host', mounted)).toBe('/mnt/host');
  });
});

describe('the stand-in workload API', () => {
  it('answers bad requests as edged does: 400 or 404 with a JSON message, and keeps serving', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'workload-'));
    const api = await WorkloadApi.start({ socketPath: join(dir, 'w.sock'), trustBundle: 'PEM', modules: [{ moduleId: 'm', generationId: 'g', primaryKey: Buffer.alloc(32, 7).toString('base64') }] });
    const call = (method: string, path: string, body?: string) => new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request({ socketPath: join(dir, 'w.sock'), method, path, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject).end(body);
    });
    try {
      const sign = '/modules/m/genid/g/sign?api-version=2018-06-28';
      const good = { keyId: 'primary', algo: 'HMACSHA256', data: Buffer.from('hub/devices/d/modules/m\n1700000000').toString('base64') };
      expect(await call('GET', '/trust-bundle')).toMatchObject({ status: 400 });
      expect(await call('GET', '/trust-bundle?api-version=2018-06-28')).toEqual({ status: 200, body: { certificate: 'PEM' } });
      expect(await call('POST', sign, '{not json')).toMatchObject({ status: 400 });
      expect(await call('POST', sign, JSON.stringify({ ...good, algo: 'MD5' }))).toMatchObject({ status: 400 });
      expect(await call('POST', '/modules/m/genid/other/sign?api-version=2018-06-28', JSON.stringify(good))).toMatchObject({ status: 404 });
      expect(await call('DELETE', '/identities?api-version=2018-06-28')).toMatchObject({ status: 404 });
      const signed = await call('POST', sign, JSON.stringify(good));
      expect(signed.status).toBe(200);
      // HMAC-SHA256 of the data with the module key, as edged computes it (known answer, computed independently below).
      const { createHmac } = await import('node:crypto');
      expect(signed.body['digest']).toBe(createHmac('sha256', Buffer.alloc(32, 7)).update('hub/devices/d/modules/m\n1700000000').digest('base64'));
    } finally {
      await api.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
