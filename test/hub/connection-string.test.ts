import { mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTION_STRING_ENV, loadConnectionString, parseConnectionString } from '../../src/hub/connection-string.js';
import { UserInputError } from '../../src/errors.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const GOOD = `HostName=hub.azure-devices.net;DeviceId=dev1;ModuleId=DefenderIotMicroAgent;SharedAccessKey=${KEY}`;

describe('module connection strings', () => {
  it('parses the fields of a module connection string, with an optional gateway', () => {
    const cs = parseConnectionString(`${GOOD};GatewayHostName=localhost:8883\n`);
    expect(cs).toMatchObject({ hostName: 'hub.azure-devices.net', deviceId: 'dev1', moduleId: 'DefenderIotMicroAgent', gatewayHostName: 'localhost:8883' });
  });

  it.each([
    ['', 'empty'],
    ['HostName=h;DeviceId=d;SharedAccessKey=' + KEY, 'ModuleId is missing'],
    ['HostName=h;DeviceId=d;ModuleId=m', 'SharedAccessKey is missing'],
    ['HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=not base64!', 'not a base64 key'],
    ['garbage', 'not key=value'],
    ['HostName=h;Color=blue', 'unknown key'],
    ['HostName=h;DeviceId=d;ModuleId=m;x509=true', 'X.509'],
  ])('rejects %j with a one-line reason naming the problem', (text, reason) => {
    let error: unknown;
    try {
      parseConnectionString(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never quotes the key when the key is malformed', () => {
    expect(() => parseConnectionString('HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=secret-value!!')).toThrow(/SharedAccessKey is not a base64 key/);
    try {
      parseConnectionString('HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=secret-value!!');
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-value');
    }
  });

  it('prefers the environment variable over the file', async () => {
    const cs = await loadConnectionString('/nonexistent', { [CONNECTION_STRING_ENV]: GOOD });
    expect(cs.deviceId).toBe('dev1');
  });

  it('names a missing or unreadable file in the error', async () => {
    await expect(loadConnectionString('/nonexistent/cs.txt', {})).rejects.toThrow('connection string file /nonexistent/cs.txt does not exist');
    const dir = await mkdtemp(join(tmpdir(), 'cs-'));
    const file = join(dir, 'cs.txt');
    await writeFile(file, 'HostName=only');
    await chmod(file, 0o600);
    await expect(loadConnectionString(file, {})).rejects.toThrow(`${file}: malformed connection string`);
  });
});
