import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';

describe('iot-micro-agent demo', () => {
  it('shows security messages arriving during its 8 s run, then stops by itself', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, [packageFile('dist', 'src', 'cli.js'), 'demo', '--duration', '8s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let firstMessageAfter: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
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
  }, 30_000);
});
