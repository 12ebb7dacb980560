import { describe, expect, it } from 'vitest';
import type { ChangeGate, GatedFile } from '../../collectors/change-gate.js';
import { PollSchedule } from '../../collectors/poll-schedule.js';
import { FakeClock, settle } from '../support/fake-clock.js';
import { HandGate } from '../support/hand-gate.js';

function setup(gate?: ChangeGate): { clock: FakeClock; schedule: PollSchedule; polls: () => number } {
  const clock = new FakeClock();
  let polls = 0;
  const schedule = new PollSchedule({
    clock, intervalMs: 1000, ...(gate ? { gate } : {}), onError: () => undefined,
    poll: async () => {
      polls++;
    },
  });
  return { clock, schedule, polls: () => polls };
}

const SNMP: GatedFile[] = [{ path: '/proc/net/snmp', kind: 'content' }];

describe('PollSchedule', () => {
  it('without a gate polls every interval, useGate included, and ignores follow-ups', async () => {
    const { clock, schedule, polls } = setup();
    schedule.useGate(SNMP, 30_000);
    schedule.followUp(10);
    await clock.advance(3000);
    expect(polls()).toBe(3);
    expect(schedule.gated).toBe(false);
  });

  it('with a gate polls only on a change, a follow-up or the safety interval, and watches the same files once', async () => {
    const gate = new HandGate();
    const { clock, schedule, polls } = setup(gate);
    schedule.useGate(SNMP, 30_000);
    schedule.useGate(SNMP, 30_000);
    expect(gate.watches).toHaveLength(1);
    expect(gate.watches[0]?.intervalMs).toBe(1000);
    await clock.advance(10_000);
    expect(polls()).toBe(0);
    gate.watches[0]?.fire();
    await settle();
    expect(polls()).toBe(1);
    schedule.followUp(5000);
    schedule.followUp(2000); // the earliest wins
    schedule.followUp(4000);
    await clock.advance(2000);
    expect(polls()).toBe(2);
    await clock.advance(5000);
    expect(polls()).toBe(2); // a poll clears the follow-up: one each time it is asked for
    await clock.advance(13_000); // 30 s since useGate
    expect(polls()).toBe(3);
  });

  it('runs one more poll when a change arrives during a poll', async () => {
    const gate = new HandGate();
    const clock = new FakeClock();
    let polls = 0;
    let finish = (): void => undefined;
    const schedule = new PollSchedule({
      clock, gate, intervalMs: 1000, onError: () => undefined,
      poll: () => {
        polls++;
        return new Promise<void>((r) => (finish = r));
      },
    });
    schedule.useGate(SNMP, 30_000);
    gate.watches[0]?.fire();
    gate.watches[0]?.fire();
    gate.watches[0]?.fire();
    await settle();
    expect(polls).toBe(1);
    finish();
    await settle();
    expect(polls).toBe(2);
    finish();
    await settle();
    expect(polls).toBe(2);
  });

  it('switches between the gate and the interval, and stop() ends both', async () => {
    const gate = new HandGate();
    const { clock, schedule, polls } = setup(gate);
    schedule.useGate(SNMP, 30_000);
    schedule.useInterval();
    expect(gate.live).toHaveLength(0);
    await clock.advance(2000);
    expect(polls()).toBe(2);
    schedule.useGate(SNMP, 30_000);
    expect(gate.live).toHaveLength(1);
    schedule.stop();
    expect(gate.live).toHaveLength(0);
    schedule.useInterval();
    schedule.useGate(SNMP, 30_000);
    await clock.advance(60_000);
    expect(polls()).toBe(2);
    expect(clock.pending()).toBe(0);
  });

  it('stays on the interval, and says why once, when the gate refuses the files', async () => {
    const errors: unknown[] = [];
    const clock = new FakeClock();
    let polls = 0;
    const refusing: ChangeGate = { watch: () => { throw new Error('watchFiles: 1 to 16 files'); } };
    const schedule = new PollSchedule({ clock, gate: refusing, intervalMs: 1000, onError: (e) => errors.push(e), poll: async () => void polls++ });
    schedule.useGate(SNMP, 30_000);
    schedule.useGate(SNMP, 30_000);
    await clock.advance(2000);
    expect(polls).toBe(2);
    expect(errors.map(String)).toEqual(['Error: watchFiles: 1 to 16 files']);
  });
});
