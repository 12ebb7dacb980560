/** Raw HTTPS calls to the simulated hub's service API, signed with its service policy (or another key). */
import { request } from 'node:https';
import { createSasToken } from '../../src/sim-hub/index.js';
import type { SimulatedHub } from '../../src/sim-hub/index.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export function policyToken(hub: SimulatedHub, key = hub.servicePolicyKey, policy = 'iothubowner'): string {
  const token = createSasToken(hub.hubName, key, Math.floor(Date.now() / 1000) + 600);
  return `${token}&skn=${policy}`;
}

export function call(
  hub: SimulatedHub, method: string, path: string, body?: unknown, headers: Record<string, string> = {},
): Promise<RawResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: hub.servicePort, method, ca: hub.caPem, servername: 'localhost',
      path: `${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-12`,
      headers: { Authorization: policyToken(hub), 'Content-Type': 'application/json', ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
