import { describe, expect, it } from 'vitest';
import { desiredFromSets, invalidKeys } from '../../src/fleet/desired-input.js';
import { Progress } from '../../src/fleet/progress.js';
import { parseServiceConnectionString } from '../../src/fleet/service-connection.js';
import { whereCondition } from '../../src/fleet/create-modules.js';
import { FakeClock } from '../support/fake-clock.js';

const KEY = Buffer.alloc(32, 3).toString('base64');

describe('service connection strings', () => {
  it('reaches GatewayHostName when given and HostName on 443 otherwise', () => {
    expect(parseServiceConnectionString(`HostName=h.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY};GatewayHostName=localhost:8443`))
      .toMatchObject({ hubName: 'h.azure-devices.net', policyName: 'iothubowner', host: 'localhost', port: 8443 });
    expect(parseServiceConnectionString(`HostName=h.azure-devices.net;SharedAccessKeyName=p;SharedAccessKey=${KEY}`))
      .toMatchObject({ host: 'h.azure-devices.net', port: 443 });
  });

  it('refuses a device connection string, a missing key, and never echoes the key', () => {
    expect(() => parseServiceConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=${KEY}`)).toThrow(/hub policy/);
    expect(() => parseServiceConnectionString('HostName=h;SharedAccessKeyName=p')).toThrow(/needs HostName, SharedAccessKeyName and SharedAccessKey/);
    try {
      parseServiceConnectionString('HostName=h;SharedAccessKeyName=p;SharedAccessKey=not base64!');
    } catch (err) {
      expect((err as Error).message).not.toContain('not base64!');
    }
  });
});

describe('desired documents from --set', () => {
  it('types values by the twin schema and keeps null as a removal', () => {
    expect(desiredFromSets(['Login_Disabled=true', 'Process_Mode=null'])).toEqual({ Login_Disabled: true, Process_Mode: null });
    expect(invalidKeys({ Login_Disabled: true, Process_Mode: null })).toEqual([]);
    expect(invalidKeys(desiredFromSets(['Login_Disabled=maybe', 'Nope=1'])).map((k) => k.key)).toEqual(['Login_Disabled', 'Nope']);
    expect(() => desiredFromSets(['novalue'])).toThrow(/KEY=VALUE/);
  });

  it('takes a --query with or without WHERE', () => {
    expect(whereCondition("WHERE tags.site = 'x'")).toBe("tags.site = 'x'");
    expect(whereCondition("tags.site = 'x'")).toBe("tags.site = 'x'");
    expect(whereCondition('  ')).toBeUndefined();
  });
});

describe('progress', () => {
  it('estimates the time left from the rate so far and draws only on a terminal', async () => {
    const clock = new FakeClock();
    let drawn = '';
    const tty = Object.assign(new (class { write(s: string): boolean { drawn += s; return true; } })(), { isTTY: true });
    const progress = new Progress('created', tty as unknown as NodeJS.WriteStream, () => clock.now());
    progress.setTotal(1000);
    expect(progress.eta()).toBeUndefined();
    await clock.advance(10_000);
    progress.advance(100);
    expect(progress.eta()).toBe(90_000);
    expect(progress.line()).toBe('created 100/1000 (10%)  elapsed 10s  ETA 1m30s');
    expect(drawn).toContain('ETA 1m30s');
    let piped = '';
    const pipe = { write: (s: string): boolean => { piped += s; return true; } };
    const quiet = new Progress('created', pipe as unknown as NodeJS.WritableStream, () => clock.now());
    quiet.setTotal(10);
    quiet.advance(5);
    quiet.finish();
    expect(piped).toBe('');
  });
});
