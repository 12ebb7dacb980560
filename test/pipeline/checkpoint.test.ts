import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SecurityMessage } from '../../src/events/envelope.js';
import type { CollectedEvent } from '../../src/events/event.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { encodeHeader } from '../../src/outbox/segment-file.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { FakeClock } from '../support/fake-clock.js';

const agent = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };
const MIN = 60_000;
const intervals = { High: 30 * MIN, Medium: 120 * MIN, Low: 1440 * MIN };
const schedules = [{ name: 'Process', frequency: 'Medium', cacheSize: 256 }] as const;

function ev(cmd: string, time: number, keyed = true): CollectedEvent {
  return {
    name: 'ProcessCreate', category: 'Triggered', eventType: 'Security', time,
    payload: [{ Executable: '/bin/sh', ProcessId: 1, ParentProcessId: 0, UserId: '0', CommandLine: cmd }],
    ...(keyed ? { aggregationKey: cmd } : {}),
  };
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'checkpoint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One run of the agent's pipeline over the same state dir; a "crash" is simply never calling stop(). */
function run(clock: FakeClock) {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg: string }).msg)) });
  const outbox = new MemoryOutbox({ clock, log, messageTimeoutMs: 2880 * MIN });
  const pipeline = new Pipeline({ clock, log, outbox, agent, random: () => 0, checkpointPath: join(dir, 'checkpoint.bin') });
  const sent = async (): Promise<SecurityMessage[]> => {
    const out: SecurityMessage[] = [];
    for (let m = await outbox.peek(); m !== undefined; m = await outbox.peek()) {
      out.push(JSON.parse(m.body.toString('utf8')) as SecurityMessage);
      await outbox.ack(m.seq);
    }
    return out;
  };
  return { pipeline, warnings, sent };
}

const lines = (messages: SecurityMessage[]): string[] => messages.flatMap((m) => m.Events.map((e) => String(e.Payload[0]?.['CommandLine'])));

describe('the aggregators checkpoint', () => {
  it('is written within 30 s of new events and restores them, hit counts and times included, after a crash', async () => {
    const clock = new FakeClock();
    const first = run(clock);
    await first.pipeline.restore();
    first.pipeline.configure(intervals, [...schedules]);
    await clock.advance(0); // the first send (random offset 0) finds nothing
    const t0 = clock.now();
    first.pipeline.ingest('Process', ev('ls', t0));
    first.pipeline.ingest('Process', ev('ls', t0 + 5_000));
    first.pipeline.ingest('Process', ev('once', t0 + 6_000, false));
    await first.pipeline.whenIdle();
    await expect(stat(join(dir, 'checkpoint.bin'))).rejects.toThrow(/ENOENT/);
    await clock.advance(30_000);
    await first.pipeline.whenIdle();
    // An event after the last checkpoint is what a SIGKILL may lose.
    first.pipeline.ingest('Process', ev('late', clock.now()));

    const second = run(clock);
    await second.pipeline.restore();
    second.pipeline.configure(intervals, [...schedules]);
    await clock.advance(0);
    const messages = await second.sent();
    expect(lines(messages)).toEqual(['ls', 'once']);
    const ls = messages[0]?.Events[0];
    expect(ls?.Payload[0]?.['ExtraDetails']).toEqual({
      HitCount: '2', StartTimeUtc: new Date(t0).toISOString(), EndTimeUtc: new Date(t0 + 5_000).toISOString(),
    });
    expect(messages[0]?.Events[1]?.Payload[0]?.['ExtraDetails']).toBeUndefined();
    expect(second.warnings).toEqual([]);
  });

  it('is rewritten on every send, so what was sent is not restored again', async () => {
    const clock = new FakeClock();
    const first = run(clock);
    first.pipeline.configure(intervals, [...schedules]);
    await clock.advance(0);
    first.pipeline.ingest('Process', ev('a', clock.now()));
    await clock.advance(30_000);
    await first.pipeline.whenIdle();
    expect((await stat(join(dir, 'checkpoint.bin'))).size).toBeGreaterThan(0);
    await clock.advance(120 * MIN); // the Medium send: 'a' goes to the outbox
    await first.pipeline.whenIdle();
    expect(lines(await first.sent())).toEqual(['a']);
    first.pipeline.ingest('Process', ev('b', clock.now()));
    await clock.advance(30_000);
    await first.pipeline.whenIdle();

    const second = run(clock);
    await second.pipeline.restore();
    await second.pipeline.stop();
    expect(lines(await second.sent())).toEqual(['b']);
    // stop() flushed everything: nothing is left to restore.
    await expect(stat(join(dir, 'checkpoint.bin'))).rejects.toThrow(/ENOENT/);
  });

  it('keeps events drained for a send whose outbox append has not finished', async () => {
    const clock = new FakeClock();
    const log = pino({ level: 'silent' });
    const outbox = new MemoryOutbox({ clock, log, messageTimeoutMs: 2880 * MIN });
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = Object.assign(Object.create(outbox) as MemoryOutbox, {
      append: async (bodies: Buffer | readonly Buffer[]) => {
        await blocked;
        return outbox.append(bodies);
      },
    });
    const pipeline = new Pipeline({ clock, log, outbox: slow, agent, random: () => 0, checkpointPath: join(dir, 'checkpoint.bin') });
    pipeline.configure(intervals, [{ name: 'Process', frequency: 'High', cacheSize: 2 }]);
    pipeline.ingest('Process', ev('x', clock.now()));
    pipeline.ingest('Process', ev('y', clock.now())); // full: drained, its append is blocked
    pipeline.ingest('Process', ev('z', clock.now()));
    await clock.advance(30_000);
    await new Promise((r) => setTimeout(r, 0));
    const second = run(clock);
    // Wait for the 30 s checkpoint (it is queued behind nothing: saves are not serialized with sends).
    for (let i = 0; i < 100 && (await stat(join(dir, 'checkpoint.bin')).catch(() => undefined)) === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    await second.pipeline.restore();
    await second.pipeline.stop();
    expect(lines(await second.sent()).sort()).toEqual(['x', 'y', 'z']);
    release();
    await pipeline.stop();
  });

  it('starts empty with one warning when the checkpoint is torn, corrupt or not a checkpoint, and never throws', async () => {
    const clock = new FakeClock();
    const path = join(dir, 'checkpoint.bin');
    const good = run(clock);
    good.pipeline.ingest('Process', ev('a', clock.now()));
    await clock.advance(30_000);
    await good.pipeline.whenIdle();
    const bytes = await readFile(path);
    const body = Buffer.from('{"version":1,"collectors":{"Process":[[{"name":"x"},1,0,0]]}}');
    const cases: [string, Buffer][] = [
      ['torn', bytes.subarray(0, bytes.length - 3)],
      ['flipped byte', Buffer.concat([bytes.subarray(0, 40), Buffer.from([bytes[40]! ^ 0xff]), bytes.subarray(41)])],
      ['garbage', Buffer.from('not a checkpoint at all')],
      ['valid frame, wrong shape', Buffer.concat([encodeHeader(1, clock.now(), body), body])],
    ];
    for (const [name, content] of cases) {
      await writeFile(path, content);
      const r = run(clock);
      await r.pipeline.restore();
      await r.pipeline.stop();
      expect(lines(await r.sent()), name).toEqual([]);
      expect(r.warnings, name).toEqual(['pipeline: checkpoint unusable, starting with empty aggregators']);
    }
  });
});
