/** Waits for an event whose argument passes `check`, with a deadline; `waiters` lets the owner reject every wait on stop. */
import type { EventEmitter } from 'node:events';

export function waitForEvent<A, T>(
  emitter: EventEmitter, waiters: Set<(err: Error) => void>, event: string, check: (arg: A) => T | undefined, timeoutMs: number, what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      emitter.off(event, listener);
      waiters.delete(fail);
    };
    const fail = (err: Error): void => {
      finish();
      reject(err);
    };
    const listener = (arg: unknown): void => {
      let result: T | undefined;
      try {
        result = check(arg as A);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (result === undefined) return;
      finish();
      resolve(result);
    };
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    emitter.on(event, listener);
    waiters.add(fail);
  });
}
