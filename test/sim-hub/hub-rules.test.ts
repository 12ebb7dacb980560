import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { createSasToken, moduleResource, parseSasToken, verifyModuleConnect } from '../../src/sim-hub/sas-auth.js';
import { mergePatch, twinSectionSize, TwinStore } from '../../src/sim-hub/twin-store.js';
import { classifyPublish, parsePropertyBag, topicMatches } from '../../src/sim-hub/mqtt-dialect.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const HUB = 'hub.azure-devices.net';

describe('SAS tokens', () => {
  it('signs url-encoded resource, newline, expiry with the base64-decoded key', () => {
    const resource = moduleResource(HUB, 'd', 'm');
    const token = parseSasToken(createSasToken(resource, KEY, 1_900_000_000));
    const expected = createHmac('sha256', Buffer.alloc(32, 7))
      .update(encodeURIComponent(resource) + '\n1900000000').digest('base64');
    expect(token).toEqual({ resource, signature: expected, expiry: 1_900_000_000 });
  });

  it('accepts a valid module token and refuses a tampered signature with code 5', () => {
    const creds = (password: string) => ({
      clientId: 'd/m', username: `${HUB}/d/m/?api-version=2021-04-12&DeviceClientType=x`, password: Buffer.from(password),
    });
    const good = createSasToken(moduleResource(HUB, 'd', 'm'), KEY, 2_000);
    expect(verifyModuleConnect(creds(good), HUB, () => KEY, 1_000)).toEqual({ ok: true, address: { deviceId: 'd', moduleId: 'm' } });
    expect(verifyModuleConnect(creds(good), HUB, () => KEY, 2_000)).toMatchObject({ ok: false, returnCode: 5, reason: 'token expired' });
    const tampered = good.replace(/sig=[^&]+/, 'sig=AAAA');
    expect(verifyModuleConnect(creds(tampered), HUB, () => KEY, 1_000)).toMatchObject({ ok: false, returnCode: 5 });
    expect(verifyModuleConnect(creds('password'), HUB, () => KEY, 1_000)).toMatchObject({ ok: false, returnCode: 4 });
  });
});

describe('twin store', () => {
  it('merges patches recursively and deletes keys set to null', () => {
    expect(mergePatch({ a: 1, o: { x: 1, y: 2 }, arr: [1] }, { a: null, o: { x: null, z: 3 }, arr: [2], n: { k: null } }))
      .toEqual({ o: { y: 2, z: 3 }, arr: [2], n: {} });
  });

  it('counts section size as UTF-8 key lengths plus values, numbers 8 and booleans 4', () => {
    expect(twinSectionSize({ ab: 1, c: true, dé: 'xyz', o: { k: 'v' }, $version: 3 })).toBe(2 + 8 + 1 + 4 + 3 + 3 + 1 + 1 + 1);
  });

  it('rejects keys with dots or dollars and leaves the twin unchanged', () => {
    const store = new TwinStore();
    store.ensure('d/m');
    expect(() => store.apply('d/m', 'reported', { 'a.b': 1 })).toThrow(/contains/);
    expect(() => store.apply('d/m', 'reported', [1])).toThrow(/JSON object/);
    expect(store.apply('d/m', 'desired', { ok: 1 })).toBe(2);
    expect(store.get('d/m')).toEqual({ desired: { ok: 1, $version: 2 }, reported: { $version: 1 } });
  });
});

describe('MQTT dialect', () => {
  it('decodes the SDK\'s percent-encoded property bag, including the output-message trailing slash', () => {
    expect(parsePropertyBag('%24.mid=m-1&%24.ifid=urn%3Aazureiot%3ASecurity%3ASecurityAgent%3A1&alert%20type=x%2Fy%26z/'))
      .toEqual({ '$.mid': 'm-1', '$.ifid': 'urn:azureiot:Security:SecurityAgent:1', 'alert type': 'x/y&z' });
  });

  it('lets a module publish only to its own telemetry topic and the $iothub request topics', () => {
    expect(classifyPublish('devices/d/modules/m/messages/events/a=1', 'd', 'm')).toEqual({ kind: 'telemetry', properties: { a: '1' } });
    expect(classifyPublish('$iothub/twin/GET/?$rid=5', 'd', 'm')).toEqual({ kind: 'twin-get', rid: '5' });
    expect(classifyPublish('devices/d/modules/other/messages/events/', 'd', 'm').kind).toBe('forbidden');
    expect(classifyPublish('$iothub/twin/PATCH/properties/desired/?$rid=1', 'd', 'm').kind).toBe('forbidden');
  });

  it('matches topic filters with + and #', () => {
    expect(topicMatches('$iothub/twin/res/#', '$iothub/twin/res/200/?$rid=1')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/d')).toBe(false);
  });
});
