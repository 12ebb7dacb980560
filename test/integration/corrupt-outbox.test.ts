import { appendFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRig, type Rig } from '../support/agent-harness.js';
import { createEventStream } from '../support/event-stream.mjs';
import { readSegments, type SegmentContents } from '../support/outbox-contents.js';
import { streamEvents, tally, waitUntil } from '../support/stream-tally.js';

const PREFIX = 'corrupt';
const TWIN = { CollectorsCore_PriorityIntervals: '1s,1s,1s' };
const SKIPPED = 'outbox: skipped torn or corrupt records (interrupted write?)';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the agent against a hub that refuses it, so every message stays in the outbox, and stops it cleanly. */
async function fillOutbox(): Promise<{ rig: Rig; outboxDir: string; segments: SegmentContents[] }> {
  const stream = createEventStream({ prefix: PREFIX, ratePerSec: 40 });
  const r = await startRig({ twinDefaults: TWIN, collectorSet: { Stream: stream.factory } }, { startAgent: false });
  r.hub.refuseAuth(true);
  await r.agent.start();
  await sleep(3_000);
  stream.pause();
  await r.agent.stop();
  const outboxDir = join(r.dir, 'agent', 'outbox');
  const segments = await readSegments(outboxDir);
  expect(segments.flatMap((s) => s.records).length).toBeGreaterThanOrEqual(3);
  return { rig: r, outboxDir, segments };
}

/** Starts the agent again (its stream silent) against a hub that accepts it. */
async function restartAndCollect(r: Rig, expectedIds: ReadonlySet<string>): Promise<Set<string>> {
  r.hub.refuseAuth(false);
  const quiet = createEventStream({ prefix: PREFIX, ratePerSec: 40 });
  quiet.pause();
  await r.makeAgent({ twinDefaults: TWIN, collectorSet: { Stream: quiet.factory } }).start();
  await waitUntil(() => [...expectedIds].every((id) => tally(r.hub.messages(), PREFIX).ids.has(id)), 20_000, 'the intact records at the hub');
  return tally(r.hub.messages(), PREFIX).ids;
}

function idsOf(records: readonly { body: Buffer }[]): Set<string> {
  return new Set(records.flatMap((rec) => streamEvents(rec.body, PREFIX).map((e) => e.Id)));
}

function skippedWarnings(r: Rig): number {
  return r.logs.filter((l) => l.msg === SKIPPED && l.level === 40).length;
}

describe('a corrupted outbox segment tail', () => {
  it('skips a record torn in the middle with a warning and delivers every intact record', async () => {
    const { rig: r, segments } = await fillOutbox();
    const last = segments.at(-1);
    const torn = last?.records.at(-1);
    if (last === undefined || torn === undefined) throw new Error('no record to tear');
    // A write cut short by a crash: the last record ends halfway through its body.
    await truncate(last.path, torn.bodyOffset + Math.floor(torn.bodyLength / 2));
    const intact = segments.flatMap((s) => s.records).filter((rec) => rec !== torn);
    const expected = idsOf(intact);
    const received = await restartAndCollect(r, expected);
    const tornIds = idsOf([torn]);
    console.info(`[corrupt/torn] records ${intact.length + 1} (${expected.size + tornIds.size} stream events); torn 1 (${tornIds.size} events); `
      + `received ${[...expected].filter((id) => received.has(id)).length} of ${expected.size} intact events`);
    expect([...expected].filter((id) => !received.has(id))).toEqual([]);
    expect([...tornIds].filter((id) => received.has(id))).toEqual([]);
    expect(skippedWarnings(r)).toBe(1);
  }, 60_000);

  it('skips garbage appended after the last record with a warning and delivers every record', async () => {
    const { rig: r, segments } = await fillOutbox();
    const last = segments.at(-1);
    if (last === undefined) throw new Error('no segment');
    await appendFile(last.path, Buffer.alloc(100, 0xee));
    const records = segments.flatMap((s) => s.records);
    const expected = idsOf(records);
    const received = await restartAndCollect(r, expected);
    console.info(`[corrupt/garbage] records ${records.length} (${expected.size} stream events) + 100 garbage bytes; `
      + `received ${[...expected].filter((id) => received.has(id)).length} of ${expected.size}`);
    expect([...expected].filter((id) => !received.has(id))).toEqual([]);
    expect(skippedWarnings(r)).toBe(1);
  }, 60_000);
});
