/** Query continuation tokens: the last key of a page, so a page never repeats or skips what others add or remove. */
import { ServiceError } from './service-documents.js';
import type { QuerySource } from './service-query.js';

/** Index of the first entry whose key sorts after `after` (entries sorted by key). */
export function firstAfter(sorted: { key: string }[], after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid]?.key ?? '') <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function encodeContinuation(source: QuerySource, lastKey: string): string {
  return Buffer.from(JSON.stringify({ s: source, k: lastKey })).toString('base64');
}

export function decodeContinuation(token: string, source: QuerySource): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { s?: unknown; k?: unknown };
    if (parsed.s === source && typeof parsed.k === 'string') return parsed.k;
  } catch {
    // falls through to the error below
  }
  throw new ServiceError(400, 'ArgumentInvalid', 'x-ms-continuation does not belong to this query');
}
