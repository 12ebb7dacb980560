import { describe, expect, it } from 'vitest';
import { TwinUpdateError } from '../../src/sim-hub/twin-store.js';
import { startRig } from '../support/agent-harness.js';
import { loadMalformedCorpus, pushDesired, type CorpusCase } from '../support/twin-push.js';

const corpus = loadMalformedCorpus();
/** The accepted desired document the corpus runs against (the same base as the store's unit test). */
const BASE: Readonly<Record<string, unknown>> = { Login_Disabled: true };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON has no Infinity/NaN: a push would carry null (a delete) instead, so such a patch cannot reach the agent as written. */
function hasNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasNonFinite);
  return false;
}

/** Puts each key of a pushed patch back to the base document: its base value, else removed (null). */
function restoreOf(patch: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(patch).map((k) => [k, Object.hasOwn(BASE, k) ? BASE[k] : null]));
}

describe('the malformed desired patch corpus pushed through the hub', () => {
  it('answers every patch with failed and exactly its invalid keys, keeps the configuration and the messages, then accepts a valid patch', async () => {
    const rig = await startRig();
    const { hub, identity, agent } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 30_000);
    const base = await pushDesired(hub, identity, { ...BASE });
    expect(base.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    const configBefore = structuredClone(agent.configuration());
    const started = Date.now();
    const messagesBefore = hub.messages().length;

    const skipped: CorpusCase[] = [];
    const notJson: CorpusCase[] = [];
    let delivered = 0;
    let previous: Record<string, unknown> | undefined;
    for (const entry of corpus) {
      if (hasNonFinite(entry.patch)) {
        notJson.push(entry);
        continue;
      }
      if (previous !== undefined) {
        // The rejected keys stay in the hub's document: remove them so the next answer is this entry's alone.
        const restored = await pushDesired(hub, identity, restoreOf(previous));
        expect(restored.report, `restore after ${entry.name}`).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
        previous = undefined;
      }
      let answer;
      try {
        if (!isObject(entry.patch)) throw new TwinUpdateError(400, 400004, 'desired patch must be a JSON object');
        answer = await pushDesired(hub, identity, entry.patch);
      } catch (err) {
        if (!(err instanceof TwinUpdateError)) throw err;
        skipped.push(entry); // the hub refuses it, so no agent ever sees it: covered by test/config
        continue;
      }
      previous = entry.patch as Record<string, unknown>;
      delivered++;
      expect(answer.report['latest_state'], entry.name).toBe('failed');
      expect(answer.report['latest_invalid_fields'], entry.name).toEqual(entry.invalid);
      expect(agent.configuration(), entry.name).toEqual(configBefore);
    }
    const corpusMs = Date.now() - started;
    console.log(`malformed corpus through the hub: ${delivered} of ${corpus.length} pushed and answered, ${skipped.length} skipped (the hub rejects them), `
      + `${notJson.length} skipped (not representable in JSON), ${corpusMs} ms`);
    for (const s of [...skipped, ...notJson]) console.log(`  skipped: ${s.name}`);
    expect(delivered + skipped.length + notJson.length).toBe(corpus.length);
    expect(delivered).toBeGreaterThan(150);

    // The agent kept sending throughout, and still does.
    expect(hub.messages().length).toBeGreaterThan(messagesBefore);
    const end = Date.now();
    await hub.waitForMessage((m) => m.receivedAt > end, 5_000);

    if (previous !== undefined) await pushDesired(hub, identity, restoreOf(previous));
    const valid = await pushDesired(hub, identity, { Process_CacheSize: 512, CollectorsCore_PriorityIntervals: '1s,2s,4s' });
    expect(valid.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(agent.configuration()).toEqual({ ...configBefore, Process_CacheSize: 512, CollectorsCore_PriorityIntervals: '1s,2s,4s' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  }, 120_000);
});
