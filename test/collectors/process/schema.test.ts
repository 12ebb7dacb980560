import { describe, expect, it } from 'vitest';
import { createProcessCollector } from '../../../collectors/process/index.js';
import type { CollectedEvent } from '../../../src/events/event.js';
import { officialEventProblems } from '../../support/official-conformance.js';
import { FakeClock, FakeHost, RecordingSink, collectorOptions, fixturePolls, settle } from './helpers.js';

describe('official security message schema (the repository\'s copies)', () => {
  it('accepts every ProcessCreate and ProcessTerminate the collector emits for all fixture cases', async () => {
    const events: CollectedEvent[] = [];
    for (const name of ['normal', 'partial', 'zombie', 'pid-reuse', 'hostile-names']) {
      const host = new FakeHost();
      const clock = new FakeClock();
      const sink = new RecordingSink();
      const [first, ...rest] = fixturePolls(name);
      host.load(first as string);
      const c = createProcessCollector(collectorOptions(host.root, clock));
      await c.start?.(sink);
      for (const dir of rest) {
        host.load(dir);
        clock.tick(100);
        await settle();
      }
      await c.stop();
      host.dispose();
      events.push(...sink.events);
    }
    expect(new Set(events.map((e) => e.name))).toEqual(new Set(['ProcessCreate', 'ProcessTerminate']));
    for (const e of events) expect(officialEventProblems([e]), e.name).toEqual([]);
  });

  it('rejects a ProcessCreate without its CommandLine (the check can fail)', () => {
    const bad: CollectedEvent = { name: 'ProcessCreate', category: 'Triggered', eventType: 'Security', time: 0, payload: [{ Executable: '/bin/x', ProcessId: 1, ParentProcessId: 0, UserId: '0' }] };
    expect(officialEventProblems([bad]).length).toBeGreaterThan(0);
  });
});
