/** The console's pure page logic (desired patch, located JSON errors, key completion, chart buckets) and its size. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const CONSOLE = resolve(import.meta.dirname, '../../console');
/** The whole console, uncompressed; a framework or a chart library would not fit. */
const BUDGET_BYTES = 64 * 1024;

interface DesiredDocument {
  diffPatch(base: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown>;
  editable(desired: Record<string, unknown>): Record<string, unknown>;
  syntaxProblem(text: string): { value?: Record<string, unknown>; message?: string };
}
interface KeyCompletion {
  keyAtCaret(text: string, caret: number): { partial: string; start: number; end: number; hasValue: boolean } | undefined;
}
interface EventsChart {
  bucketEvents(messages: { receivedAt: string; events: { name: string }[] }[], now: number): { buckets: Map<string, number>[] };
}

// Plain browser modules without types: loaded by URL, typed here by what the pages use.
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(CONSOLE, file)).href)) as T;

describe('the desired document', () => {
  it('patches what changed and nulls what was removed, leaving the hub\'s $-keys out', async () => {
    const { diffPatch, editable } = await load<DesiredDocument>('desired-document.js');
    const base = editable({ A: 1, B: 'x', C: true, $version: 4 });
    expect(base).toEqual({ A: 1, B: 'x', C: true });
    expect(diffPatch(base, { A: 1, B: 'y', D: 2 })).toEqual({ B: 'y', C: null, D: 2 });
    expect(diffPatch(base, { ...base })).toEqual({});
  });

  it('locates a JSON syntax error by line and column, and refuses a document that is not an object', async () => {
    const { syntaxProblem } = await load<DesiredDocument>('desired-document.js');
    expect(syntaxProblem('{\n  "A": 1\n}').value).toEqual({ A: 1 });
    expect(syntaxProblem('{\n  "A": \n}').message).toMatch(/^JSON syntax error at line 3, column 1: /);
    expect(syntaxProblem('{\n  "A": 1,\n  "B"').message).toMatch(/^JSON syntax error at line 3, column 6: /);
    expect(syntaxProblem('[1]').message).toBe('desired must be a JSON object');
  });
});

describe('key completion', () => {
  it('offers keys only where an object key belongs, and replaces the whole partial key', async () => {
    const { keyAtCaret } = await load<KeyCompletion>('key-completion.js');
    expect(keyAtCaret('{\n  "Heart', 10)).toEqual({ partial: 'Heart', start: 4, end: 10, hasValue: false });
    expect(keyAtCaret('{ "A": 1, "He"', 13)).toEqual({ partial: 'He', start: 10, end: 14, hasValue: false });
    expect(keyAtCaret('{ "A": "Hig', 11)).toBeUndefined();
    // In an existing key only its name is replaced, so its value is kept.
    expect(keyAtCaret('{ "Ab": 1 }', 4)).toEqual({ partial: 'A', start: 2, end: 6, hasValue: true });
  });
});

describe('the events-per-minute chart', () => {
  it('counts each event in its minute by name and leaves older minutes out', async () => {
    const { bucketEvents } = await load<EventsChart>('events-chart.js');
    const now = Date.parse('2026-01-01T10:14:30Z');
    const at = (iso: string, ...names: string[]) => ({ receivedAt: iso, events: names.map((name) => ({ name })) });
    const { buckets } = bucketEvents([
      at('2026-01-01T10:14:05Z', 'Heartbeat', 'Heartbeat'), at('2026-01-01T10:13:59Z', 'Heartbeat', 'Login'),
      at('2026-01-01T09:59:59Z', 'Heartbeat'),
    ], now);
    expect(buckets).toHaveLength(15);
    expect(Object.fromEntries(buckets[14] ?? new Map())).toEqual({ Heartbeat: 2 });
    expect(Object.fromEntries(buckets[13] ?? new Map())).toEqual({ Heartbeat: 1, Login: 1 });
    expect(buckets.slice(0, 13).every((b) => b.size === 0)).toBe(true);
  });
});

describe('the console files', () => {
  const files = readdirSync(CONSOLE);

  it(`stay within ${BUDGET_BYTES / 1024} KB, plain assets the strict CSP allows`, () => {
    const total = files.reduce((sum, f) => sum + statSync(join(CONSOLE, f)).size, 0);
    const gzip = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(CONSOLE, f)), { level: 9 }).length, 0);
    console.info(`[console] ${files.length} files, ${total} bytes, ${gzip} bytes gzipped file by file`);
    expect(total).toBeLessThan(BUDGET_BYTES);
    // The README states the page weight; it must be what the files weigh now.
    const readme = readFileSync(resolve(CONSOLE, '../README.md'), 'utf8');
    const stated = /\(measured here: (\d+) files, \*\*([\d,]+) bytes\*\*, \*\*([\d,]+) bytes\*\* gzipped/.exec(readme);
    expect(stated?.slice(1).map((n) => Number(n.replace(/,/g, '')))).toEqual([files.length, total, gzip]);
    expect(files.every((f) => /\.(html|js|css)$/.test(f))).toBe(true);
    const html = readFileSync(join(CONSOLE, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=/i);
    for (const f of files.filter((name) => name.endsWith('.js'))) {
      const source = readFileSync(join(CONSOLE, f), 'utf8');
      expect(source, f).not.toMatch(/\beval\(|new Function\(|innerHTML|setAttribute\('style'|https?:\/\/(?!www\.w3\.org)/);
      for (const [, target] of source.matchAll(/from '\.\/([^']+)'/g)) expect(files, `${f} imports ${target}`).toContain(target);
    }
  });
});
