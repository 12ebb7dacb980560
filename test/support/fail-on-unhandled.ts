/**
 * Setup file (vitest.config.ts): an unhandled rejection or uncaught exception fails the test it happened
 * in (or the file, when it comes after the last test), instead of a warning a green run can hide.
 */
import { afterAll, afterEach } from 'vitest';

const caught: unknown[] = [];
const record = (err: unknown): void => {
  caught.push(err);
};
process.on('unhandledRejection', record);
process.on('uncaughtExceptionMonitor', record);

function failIfCaught(): void {
  if (caught.length === 0) return;
  const all = caught.splice(0);
  const text = all.map((e) => (e instanceof Error ? e.stack ?? e.message : String(e))).join('\n---\n');
  throw new Error(`${all.length} unhandled rejection(s) or uncaught exception(s):\n${text}`);
}

afterEach(failIfCaught);
afterAll(failIfCaught);
