import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportedStatus, type Evaluation, type ValidEvaluation } from '../../src/config/evaluation.js';
import { TwinConfigStore, changedCollectors } from '../../src/config/twin-config-store.js';
import { COLLECTOR_NAMES } from '../../src/config/twin-keys.js';
import { captureLog } from './log-capture.js';

const stateDir = (): string => mkdtempSync(join(tmpdir(), 'twin-store-'));
const storeWith = (twinDefaults: Record<string, unknown> = {}, dir?: string) =>
  new TwinConfigStore({ stateDir: dir, twinDefaults, log: captureLog().log });

function valid(evaluation: Evaluation): ValidEvaluation {
  if (evaluation.kind !== 'valid') throw new Error(`expected valid, got ${JSON.stringify(evaluation)}`);
  return evaluation;
}

describe('TwinConfigStore precedence', () => {
  it('layers schema defaults < twinDefaults < twin desired', () => {
    const store = storeWith({ Process_CacheSize: 300, Login_UsePAM: true });
    expect(store.effective().Process_CacheSize).toBe(300);
    expect(store.effective().Process_Mode).toBe(1);
    store.commit(valid(store.evaluatePatch({ Process_CacheSize: 400 })).candidate);
    expect(store.effective().Process_CacheSize).toBe(400);
    expect(store.effective().Login_UsePAM).toBe(true);
  });

  it('falls back to twinDefaults, then to the schema default, when a key is deleted with null', () => {
    const store = storeWith({ Process_CacheSize: 300 });
    store.commit(valid(store.evaluatePatch({ Process_CacheSize: 400, Process_Mode: 3 })).candidate);
    const deleted = valid(store.evaluatePatch({ Process_CacheSize: null, Process_Mode: null }));
    expect(deleted.changedKeys).toEqual(['Process_CacheSize', 'Process_Mode']);
    store.commit(deleted.candidate);
    expect(store.effective().Process_CacheSize).toBe(300);
    expect(store.effective().Process_Mode).toBe(1);
    expect(store.desired()).toEqual({});
  });

  it('drops invalid twinDefaults keys with a warning and keeps the valid ones', () => {
    const { log, lines } = captureLog();
    const store = new TwinConfigStore({ stateDir: undefined, twinDefaults: { Process_CacheSize: 0, Login_UsePAM: true, Nope: 1 }, log });
    expect(store.effective().Process_CacheSize).toBe(256);
    expect(store.effective().Login_UsePAM).toBe(true);
    expect(store.defaultsProblems().map((p) => p.key)).toEqual(['Nope', 'Process_CacheSize']);
    expect(lines().filter((l) => l['msg'] === 'ignoring invalid twinDefaults key')).toHaveLength(2);
  });

  it('strips $version and $metadata and takes the version from $version', () => {
    const store = storeWith();
    const evaluation = valid(store.evaluatePatch({ $version: 9, $metadata: { x: 1 }, Heartbeat_Disabled: true }));
    expect(evaluation.candidate.version).toBe(9);
    store.commit(evaluation.candidate);
    expect(store.desired()).toEqual({ Heartbeat_Disabled: true });
    expect(store.lastVersion()).toBe(9);
  });
});

describe('TwinConfigStore evaluation', () => {
  it('changes nothing until commit', () => {
    const store = storeWith();
    const evaluation = valid(store.evaluatePatch({ Process_Disabled: true }, 3));
    expect(store.effective().Process_Disabled).toBe(false);
    expect(store.lastVersion()).toBeUndefined();
    expect(reportedStatus(evaluation)).toEqual({ latest_state: 'success', latest_invalid_fields: [] });
  });

  it('ignores patches whose version is not newer than the last one', () => {
    const store = storeWith();
    store.commit(valid(store.evaluatePatch({ Process_Disabled: true }, 5)).candidate);
    expect(store.evaluatePatch({ Process_Disabled: false }, 5)).toMatchObject({ kind: 'ignored', reason: 'stale-version' });
    expect(store.evaluatePatch({ Process_Disabled: false }, 4).kind).toBe('ignored');
    expect(reportedStatus(store.evaluatePatch({ Process_Disabled: false }, 4))).toBeUndefined();
    expect(store.evaluatePatch({ Process_Disabled: false }, 6).kind).toBe('valid');
  });

  it('replaces the document on a full read: older ignored, equal and identical ignored, equal but different evaluated', () => {
    const store = storeWith();
    store.commit(valid(store.evaluateFull({ Process_Disabled: true, Login_UsePAM: true }, 10)).candidate);
    expect(store.evaluateFull({ Process_Disabled: false }, 9)).toMatchObject({ kind: 'ignored', reason: 'stale-version' });
    expect(store.evaluateFull({ Login_UsePAM: true, Process_Disabled: true, $version: 10 })).toMatchObject({ kind: 'ignored', reason: 'unchanged' });
    const full = valid(store.evaluateFull({ Login_UsePAM: true }, 10));
    expect(full.changedKeys).toEqual(['Process_Disabled']);
    store.commit(full.candidate);
    expect(store.desired()).toEqual({ Login_UsePAM: true });
  });

  it('refuses to commit a candidate computed against an older state', () => {
    const store = storeWith();
    const first = valid(store.evaluatePatch({ Process_Mode: 2 }, 1));
    const second = valid(store.evaluatePatch({ Process_Mode: 3 }, 2));
    expect(store.commit(second.candidate).committed).toBe(true);
    expect(store.commit(first.candidate).committed).toBe(false);
    expect(store.effective().Process_Mode).toBe(3);
  });

  it('judges the merged document the hub holds: a rejected key keeps failing until it is fixed or removed', () => {
    const store = storeWith();
    const rejected = store.evaluatePatch({ Process_CacheSize: 512, Foo: 1 }, 2);
    if (rejected.kind !== 'invalid') throw new Error('expected invalid');
    store.recordRejected(rejected);
    expect(store.lastVersion()).toBe(2);
    expect(store.effective().Process_CacheSize).toBe(256);
    const bar = store.evaluatePatch({ Bar: 1 }, 3);
    expect(bar).toMatchObject({ kind: 'invalid', invalidFields: ['Bar', 'Foo'] });
    if (bar.kind === 'invalid') store.recordRejected(bar);
    const stillFoo = store.evaluatePatch({ Login_Disabled: true, Bar: null }, 4);
    expect(stillFoo).toMatchObject({ kind: 'invalid', invalidFields: ['Foo'] });
    if (stillFoo.kind === 'invalid') store.recordRejected(stillFoo);
    expect(store.effective().Login_Disabled).toBe(false); // the running configuration is the last accepted one
    const next = valid(store.evaluatePatch({ Foo: null }, 5));
    expect(next.changedKeys).toEqual(['Login_Disabled', 'Process_CacheSize']);
    store.commit(next.candidate);
    expect(store.effective().Login_Disabled).toBe(true);
    expect(store.effective().Process_CacheSize).toBe(512);
  });

  it('gives a patch sequence the same answer as a full read of the document it leaves on the hub', () => {
    const online = storeWith();
    let hub: Record<string, unknown> = {};
    for (const [i, patch] of [{ Foo: 1 }, { Process_CacheSize: 100 }, { Heartbeat_MessageFrequency: 'high' }, { Foo: null }].entries()) {
      hub = Object.fromEntries(Object.entries({ ...hub, ...patch }).filter(([, v]) => v !== null));
      const answer = online.evaluatePatch(patch, i + 2);
      if (answer.kind === 'invalid') online.recordRejected(answer);
      const reconnected = storeWith().evaluateFull({ ...hub, $version: i + 2 });
      expect(reportedStatus(answer), JSON.stringify(hub)).toEqual(reportedStatus(reconnected));
    }
  });

  it('reports the invalid keys a full twin read still holds', () => {
    const store = storeWith();
    expect(store.evaluateFull({ Foo: 1, Process_Mode: 3, $version: 5 })).toMatchObject({ kind: 'invalid', invalidFields: ['Foo'] });
  });

  it.each([
    ['an array', [1, 2]], ['a string', 'x'.repeat(100_000)], ['a number', 2 ** 60], ['null', null], ['true', true],
  ])('rejects %s as a patch without throwing', (_name, patch) => {
    const store = storeWith();
    const evaluation = store.evaluatePatch(patch);
    expect(evaluation).toMatchObject({ kind: 'invalid', invalidFields: [] });
    expect(reportedStatus(evaluation)).toEqual({ latest_state: 'failed', latest_invalid_fields: [] });
    expect(store.evaluateFull(patch).kind).toBe('invalid');
  });

  it('evaluates a patch with thousands of keys and 100 KB strings and reports each key once', () => {
    const store = storeWith();
    const patch = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`Unknown_${i}`, 'x'.repeat(20)]));
    Object.assign(patch, { FileSystem_Paths: `/${'a'.repeat(100_000)}`, Baseline_ChecksDisabled: `${'1.'.repeat(50_000)}x` });
    const evaluation = store.evaluatePatch(patch);
    expect(evaluation.kind === 'invalid' && evaluation.invalidFields.length).toBe(5002);
  });

  it('bounds and escapes a hostile key in the log line', () => {
    const { log, raw } = captureLog();
    const store = new TwinConfigStore({ stateDir: undefined, twinDefaults: {}, log });
    const key = `\u001b[31m${'k'.repeat(5000)}`;
    store.evaluatePatch({ [key]: 1 });
    const line = raw().find((l) => l.includes('invalid twin desired key'));
    expect(line).toBeDefined();
    expect(line?.length ?? 0).toBeLessThan(400);
    expect(line).not.toContain('\u001b');
  });
});

describe('TwinConfigStore persistence', () => {
  it('persists a commit atomically and loads it again before the hub is reached', () => {
    const dir = stateDir();
    const store = TwinConfigStore.load({ stateDir: dir, twinDefaults: {}, log: captureLog().log });
    expect(store.commit(valid(store.evaluatePatch({ Process_Mode: 3, Login_CacheSize: 64 }, 12)).candidate)).toEqual({ committed: true, persisted: true });
    expect(readdirSync(dir)).toEqual(['twin-config.json']);
    const reloaded = TwinConfigStore.load({ stateDir: dir, twinDefaults: {}, log: captureLog().log });
    expect(reloaded.effective().Process_Mode).toBe(3);
    expect(reloaded.effective().Login_CacheSize).toBe(64);
    expect(reloaded.lastVersion()).toBe(12);
    expect(reloaded.evaluatePatch({ Process_Mode: 2 }, 12).kind).toBe('ignored');
  });

  it('lets the first full read go back below a version loaded from disk, as after the module identity is recreated', () => {
    const dir = stateDir();
    const store = storeWith({}, dir);
    store.commit(valid(store.evaluatePatch({ Process_Mode: 3 }, 40)).candidate);
    const reloaded = TwinConfigStore.load({ stateDir: dir, twinDefaults: {}, log: captureLog().log });
    const full = valid(reloaded.evaluateFull({ Process_Mode: 2 }, 2));
    reloaded.commit(full.candidate);
    expect(reloaded.lastVersion()).toBe(2);
    expect(reloaded.evaluateFull({ Process_Mode: 1 }, 1).kind).toBe('ignored');
  });

  it.each([
    ['not JSON', '{"format":1,'],
    ['the wrong shape', '[1,2,3]'],
    ['an invalid key', JSON.stringify({ format: 1, version: 3, desired: { Process_Mode: 9 } })],
    ['a polluting key', '{"format":1,"version":3,"desired":{"__proto__":{"polluted":true}}}'],
  ])('warns in one line and starts from defaults when the persisted file holds %s', (_name, text) => {
    const dir = stateDir();
    writeFileSync(join(dir, 'twin-config.json'), text);
    const { log, lines } = captureLog();
    const store = TwinConfigStore.load({ stateDir: dir, twinDefaults: { Process_CacheSize: 100 }, log });
    expect(store.effective().Process_Mode).toBe(1);
    expect(store.effective().Process_CacheSize).toBe(100);
    expect(store.lastVersion()).toBeUndefined();
    expect(lines().filter((l) => l['level'] === 40)).toHaveLength(1);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('logs a persistence failure and still applies the configuration', () => {
    const dir = join(stateDir(), 'missing', 'nested');
    const { log, lines } = captureLog();
    const store = new TwinConfigStore({ stateDir: dir, twinDefaults: {}, log });
    expect(store.commit(valid(store.evaluatePatch({ Process_Mode: 2 })).candidate)).toEqual({ committed: true, persisted: false });
    expect(store.effective().Process_Mode).toBe(2);
    expect(lines().some((l) => l['msg'] === 'could not persist twin configuration')).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('writes a readable document with format, version and the desired keys', () => {
    const dir = stateDir();
    const store = storeWith({}, dir);
    store.commit(valid(store.evaluatePatch({ Heartbeat_MessageFrequency: 'High' }, 7)).candidate);
    const doc = JSON.parse(readFileSync(join(dir, 'twin-config.json'), 'utf8')) as Record<string, unknown>;
    expect(doc).toMatchObject({ format: 1, version: 7, desired: { Heartbeat_MessageFrequency: 'High' } });
  });
});

describe('collectors affected by a change', () => {
  it('maps keys to their collector, and the priority intervals to all collectors', () => {
    expect([...changedCollectors(['Process_Mode', 'Login_UsePAM', 'IothubModule_MessageTimeout'])]).toEqual(['Login', 'Process']);
    expect([...changedCollectors(['CollectorsCore_PriorityIntervals'])]).toEqual([...COLLECTOR_NAMES]);
    expect(changedCollectors([]).size).toBe(0);
    expect(changedCollectors(['Login_CacheSize', 'Process_MessageFrequency']).size).toBe(0);
  });

  it('tells implemented collectors from unsupported ones', () => {
    const store = storeWith({ Baseline_Disabled: true });
    const support = store.collectorSupport(['Process', 'Login', 'NetworkActivity', 'Heartbeat', 'SystemInformation', 'Statistics', 'Containers', 'Custom']);
    expect(support.unsupported).toEqual(['Baseline', 'SBoM', 'LogCollector', 'FileSystem', 'Peripheral']);
    expect(support.unsupportedEnabled).toEqual(['SBoM', 'LogCollector', 'FileSystem', 'Peripheral']);
    expect(support.unknown).toEqual(['Custom']);
    expect(support.implemented).toHaveLength(7);
  });
});
