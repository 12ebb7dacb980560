/** The console's pages and assets: files under the package's `console/` folder, by extension, never outside it. */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { SECURITY_HEADERS, sendText } from './console-access.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Far above any page or script the console ships; a file larger than this is not one of them. */
const MAX_ASSET_BYTES = 8 * 1024 * 1024;
// One plain name per path level: no dot-files, no '..', no separators or NULs smuggled in by percent-encoding.
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export type AssetLookup = { file: string; contentType: string } | { status: 400 | 404; reason: string };

/** Maps the path after /console/ ('' is index.html) to a file under `root`, or says why not. */
export function assetPath(root: string, rawPath: string): AssetLookup {
  let segments: string[];
  try {
    segments = (rawPath === '' ? 'index.html' : rawPath).split('/').map(decodeURIComponent);
  } catch {
    return { status: 400, reason: 'malformed path' };
  }
  if (segments.some((s) => !SAFE_SEGMENT.test(s) || s.includes('..'))) return { status: 404, reason: 'not found' };
  const contentType = CONTENT_TYPES[extname(segments[segments.length - 1] ?? '').toLowerCase()];
  if (contentType === undefined) return { status: 404, reason: 'not found' };
  return { file: join(root, ...segments), contentType };
}

export class ConsoleStatic {
  constructor(private readonly root: string) {}

  async serve(res: ServerResponse, rawPath: string, method: string, extraHeaders: Record<string, string>): Promise<void> {
    if (method !== 'GET' && method !== 'HEAD') {
      sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const found = assetPath(this.root, rawPath);
    if ('status' in found) {
      sendText(res, found.status, `${found.reason}\n`);
      return;
    }
    let body: Buffer;
    try {
      // A symlink inside console/ must not lead outside it.
      const [real, realRoot] = await Promise.all([realpath(found.file), realpath(this.root)]);
      const info = await stat(real);
      if (!real.startsWith(realRoot + sep) || !info.isFile() || info.size > MAX_ASSET_BYTES) throw new Error('not servable');
      body = await readFile(real);
    } catch {
      sendText(res, 404, 'not found\n');
      return;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS, ...extraHeaders, 'Content-Type': found.contentType, 'Content-Length': String(body.length),
    });
    res.end(method === 'HEAD' ? undefined : body);
  }
}
