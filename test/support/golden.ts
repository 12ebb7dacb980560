/**
 * Golden files and README sample events: compared, never written, unless UPDATE_GOLDEN=1. A missing file
 * fails with how to create it, so a test cannot pass by writing its own expectation (and `npm test`
 * leaves the work tree clean).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { packageFile } from '../../src/package-root.js';

export const UPDATING_GOLDEN = process.env['UPDATE_GOLDEN'] === '1';

function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `actual` equals the JSON in `file`; with UPDATE_GOLDEN=1 the file is (re)written instead. */
export function expectGolden(file: string, actual: unknown): void {
  if (UPDATING_GOLDEN) {
    writeFileSync(file, jsonText(actual));
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing: create it with UPDATE_GOLDEN=1 and review it`);
  expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

/** What stays the same from host to host in a sample: the event names, categories and types. */
function kinds(sample: unknown): string[] {
  const list = Array.isArray(sample) ? sample : typeof sample === 'object' && sample !== null && 'Events' in sample ? (sample as { Events: unknown[] }).Events : [sample];
  return (list as Record<string, unknown>[]).map((e) => [e['name'] ?? e['Name'], e['category'] ?? e['Category'], e['eventType'] ?? e['EventType']].join('/'));
}

/**
 * The sample event of `collectors/<dir>/README.md`. `exact`: output of fixtures, so it must equal the file;
 * `live`: output of this host, which only has to be the same kind of event as the committed sample.
 */
export function expectSampleEvent(collectorDir: string, sample: unknown, mode: 'exact' | 'live'): void {
  const file = packageFile('collectors', collectorDir, 'sample-event.json');
  if (mode === 'exact') return expectGolden(file, sample);
  if (UPDATING_GOLDEN) return expectGolden(file, sample);
  if (!existsSync(file)) throw new Error(`sample ${file} is missing: create it with UPDATE_GOLDEN=1 and review it`);
  expect(kinds(sample)).toEqual(kinds(JSON.parse(readFileSync(file, 'utf8'))));
}
