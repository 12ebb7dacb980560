import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportedStatus } from '../../src/config/evaluation.js';
import { TwinConfigStore } from '../../src/config/twin-config-store.js';
import { captureLog } from './log-capture.js';

interface CorpusCase {
  readonly name: string;
  readonly patch: unknown;
  readonly invalid: string[];
}

const corpusText = readFileSync(new URL('../fixtures/twin/malformed-patches.json', import.meta.url), 'utf8');
const corpus = JSON.parse(corpusText) as CorpusCase[];

describe('malformed desired patch corpus', () => {
  it('holds at least 150 uniquely named cases, each expecting at least one invalid key', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
    for (const c of corpus) expect(c.invalid.length, c.name).toBeGreaterThan(0);
  });

  it('writes __proto__, constructor and prototype as real keys in the JSON text', () => {
    const protoCase = corpus.find((c) => c.name === '__proto__ key with an object');
    expect(protoCase && Object.keys(protoCase.patch as object)).toEqual(['__proto__']);
    expect(corpusText).toContain('"constructor": {');
    expect(corpusText).toContain('9007199254740993');
  });

  it('reports exactly the expected invalid keys, changes nothing, and then accepts a valid patch', () => {
    const { log, lines } = captureLog();
    const store = new TwinConfigStore({ stateDir: undefined, twinDefaults: { Process_CacheSize: 300 }, log });
    const start = store.evaluatePatch({ Login_Disabled: true }, 5);
    if (start.kind !== 'valid') throw new Error('setup patch rejected');
    store.commit(start.candidate);
    const effectiveBefore = structuredClone(store.effective());
    const desiredBefore = store.desired();

    for (const c of corpus) {
      const evaluation = store.evaluatePatch(c.patch);
      expect(evaluation.kind, c.name).toBe('invalid');
      expect(reportedStatus(evaluation), c.name).toEqual({ latest_state: 'failed', latest_invalid_fields: c.invalid });
      if (evaluation.kind === 'invalid') expect(evaluation.reasons.map((r) => r.key), c.name).toEqual(c.invalid);
      expect(store.effective(), c.name).toEqual(effectiveBefore);
    }
    expect(store.desired()).toEqual(desiredBefore);
    expect(store.lastVersion()).toBe(5);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');

    // One warning line per invalid key, none carrying a key longer than the bound.
    const warned = lines().filter((l) => l['msg'] === 'invalid twin desired key');
    expect(warned.length).toBe(corpus.reduce((n, c) => n + c.invalid.length, 0));
    for (const l of warned) expect(String(l['key']).length).toBeLessThan(120);

    const after = store.evaluatePatch({ Process_CacheSize: 512, CollectorsCore_PriorityIntervals: '10s,1m,5m' }, 6);
    expect(after.kind).toBe('valid');
    if (after.kind !== 'valid') return;
    expect(after.changedKeys).toEqual(['CollectorsCore_PriorityIntervals', 'Process_CacheSize']);
    expect(store.commit(after.candidate).committed).toBe(true);
    expect(store.effective().Process_CacheSize).toBe(512);
    expect(store.effective().Login_Disabled).toBe(true);
  });

  it('does not apply the valid key of a patch that also holds an invalid one', () => {
    const store = new TwinConfigStore({ stateDir: undefined, twinDefaults: {}, log: captureLog().log });
    const evaluation = store.evaluatePatch({ Process_CacheSize: 512, Process_Mode: 7 });
    expect(evaluation.kind).toBe('invalid');
    expect(store.effective().Process_CacheSize).toBe(256);
  });
});
