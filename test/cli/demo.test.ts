import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import { describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';

describe('iot-micro-agent demo', () => {
  it('shows security messages arriving during its 8 s run, with --open a framed console URL that works meanwhile, then stops by itself', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, [packageFile('dist', 'src', 'cli.js'), 'demo', '--duration', '8s', '--open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let firstMessageAfter: number | undefined;
    let consoleStatus: Promise<number> | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /\| (https:\/\/localhost:\d+\/console\/\?token=[\w-]+) +\|/.exec(out)?.[1];
      const ca = /CA (\S+)\)/.exec(out)?.[1];
      if (consoleStatus === undefined && url !== undefined && ca !== undefined) consoleStatus = getStatus(new URL(url), readFileSync(ca, 'utf8'));
      if (firstMessageAfter === undefined && /bytes {2}security message {2}\w+ x\d/.test(out)) firstMessageAfter = Date.now() - started;
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(err).not.toMatch(/\bat .*\.js:\d+/);
    expect(code).toBe(0);
    expect(out).toContain('simulated IoT Hub on');
    expect(out).toContain('twin reported: latest_state=success');
    expect(out).toMatch(/Heartbeat x1/);
    expect(firstMessageAfter).toBeDefined();
    expect(out).toMatch(/\d+ messages received/);
    expect(out).toMatch(/^\+-+\+\n\| Web console of the simulated hub/m);
    expect(await consoleStatus).toBe(200);
  }, 30_000);
});

function getStatus(url: URL, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: url.port, path: `${url.pathname}${url.search}`, servername: 'localhost', ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}
