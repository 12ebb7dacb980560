/**
 * A steady stream of official-looking ProcessCreate events from a gateway-style custom collector,
 * counting what it produced. Plain JS so the child-process agent (node + dist only) can use it too.
 */

/**
 * @param {{ prefix: string, ratePerSec: number, slots?: number, onTick?: (total: number, unique: number) => void }} options
 *   Each tick emits one unique event (no aggregationKey, `CommandLine` `<prefix>-once --seq N`) and one
 *   repeated event (`<prefix>-repeat --slot N%slots`, with an aggregationKey so they merge).
 */
export function createEventStream({ prefix, ratePerSec, slots = 5, onTick }) {
  let seq = 0;
  let paused = false;
  const repeated = new Map();
  /** Timers of started collector instances, so a failing test can stop them without the agent. */
  const running = new Set();
  const factory = (options) => {
    let timer;
    return {
      name: 'Stream',
      async start(out) {
        const tick = () => {
          if (paused) return;
          const time = options.clock.now();
          const n = ++seq;
          out.emit(processCreate(`${prefix}-once --seq ${n}`, 40_000 + (n % 20_000), time, false));
          const line = `${prefix}-repeat --slot ${n % slots}`;
          repeated.set(line, (repeated.get(line) ?? 0) + 1);
          out.emit(processCreate(line, 60_000 + (n % 20_000), time, true));
          onTick?.(2 * n, n);
        };
        // A plain (ref'd) timer: the stream, not the agent, keeps a child process alive.
        timer = setInterval(tick, Math.max(1, Math.round(1000 / ratePerSec)));
        running.add(timer);
      },
      async stop() {
        clearInterval(timer);
        running.delete(timer);
      },
    };
  };
  return {
    factory,
    /** Stops producing; what was produced so far is final. */
    pause() {
      paused = true;
    },
    produced() {
      const total = seq + [...repeated.values()].reduce((a, b) => a + b, 0);
      return { unique: seq, repeated: new Map(repeated), total };
    },
    stopAll() {
      paused = true;
      for (const timer of running) clearInterval(timer);
      running.clear();
    },
  };
}

function processCreate(commandLine, pid, time, aggregate) {
  const event = {
    name: 'ProcessCreate',
    category: 'Triggered',
    eventType: 'Security',
    payload: [{
      Executable: '/usr/bin/stream-tool', ProcessId: pid, ParentProcessId: 1, UserId: '1000', UserName: 'stream', CommandLine: commandLine,
    }],
    time,
    payloadSchemaVersion: '1.0',
  };
  return aggregate ? { ...event, aggregationKey: `ProcessCreate\u00001000\u0000${commandLine}` } : event;
}
