import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleEvents } from '../../src/sim-hub/console/console-events.js';
import { ConsoleMessages, summarizeEvents } from '../../src/sim-hub/console/console-messages.js';
import { ConsoleStatic } from '../../src/sim-hub/console/console-static.js';
import type { CapturedMessage } from '../../src/sim-hub/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { waitUntil } from '../support/twin-push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A plain HTTP server on loopback whose handler is `handle`; these parts do not care about TLS. */
async function serve(handle: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function fetchRaw(url: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    }).on('error', reject);
  });
}

function captured(body: string, receivedAt = Date.UTC(2026, 0, 1)): CapturedMessage {
  return { deviceId: 'd', moduleId: 'm', body: Buffer.from(body), properties: { '$.ct': 'application/json' }, receivedAt, size: body.length };
}

describe('console event stream', () => {
  it('sends a heartbeat comment every 15 s, forgets a client that goes away, and ends the rest on close', async () => {
    const clock = new FakeClock();
    const events = new ConsoleEvents(clock);
    const base = await serve((_req, res) => events.open(res));
    const readers = [0, 1].map(() => new Promise<{ text: () => string; destroy: () => void; ended: Promise<void> }>((resolve) => {
      const req = get(base, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        const ended = new Promise<void>((done) => res.on('close', done));
        resolve({ text: () => text, destroy: () => req.destroy(), ended });
      });
      req.on('error', () => undefined);
    }));
    const [a, b] = await Promise.all(readers);
    if (!a || !b) throw new Error('two readers expected');
    await waitUntil(() => events.openStreams === 2 && a.text().includes(': connected'), 5_000);
    expect(clock.pending()).toBe(1);
    await clock.advance(15_000);
    events.send('identity', { deviceId: 'd', moduleId: 'm', change: 'added' });
    await waitUntil(() => a.text().includes('event: identity') && b.text().includes('event: identity'), 5_000);
    expect(a.text()).toBe('retry: 2000\n: connected\n\n: heartbeat\n\nevent: identity\ndata: {"deviceId":"d","moduleId":"m","change":"added"}\n\n');
    a.destroy();
    await waitUntil(() => events.openStreams === 1, 5_000);
    events.close();
    await b.ended;
    expect(events.openStreams).toBe(0);
    expect(clock.pending()).toBe(0);
    const refused = await fetchRaw(base);
    expect(refused.status).toBe(503);
  });
});

describe('console static files', () => {
  it('serves html, js, css and svg under the root with their types, and nothing else', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'console-static-'));
    cleanup.push(() => rm(parent, { recursive: true, force: true }));
    const root = join(parent, 'console');
    await mkdir(join(root, 'lib'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<html></html>');
    await writeFile(join(root, 'app.js'), 'export {};');
    await writeFile(join(root, 'lib', 'chart.mjs'), 'export {};');
    await writeFile(join(root, 'style.css'), 'body{}');
    await writeFile(join(root, 'icon.svg'), '<svg/>');
    await writeFile(join(root, 'notes.txt'), 'no');
    await writeFile(join(parent, 'secret.js'), 'secret');
    await symlink(join(parent, 'secret.js'), join(root, 'escape.js'));
    const files = new ConsoleStatic(root);
    const base = await serve((req, res) => void files.serve(res, (req.url ?? '').slice(1), req.method ?? 'GET', {}));
    const expectations: [string, number, string?][] = [
      ['', 200, 'text/html; charset=utf-8'], ['app.js', 200, 'text/javascript; charset=utf-8'],
      ['lib/chart.mjs', 200, 'text/javascript; charset=utf-8'], ['style.css', 200, 'text/css; charset=utf-8'],
      ['icon.svg', 200, 'image/svg+xml'], ['notes.txt', 404], ['escape.js', 404], ['lib', 404], ['lib/', 404],
      ['%2e%2e/secret.js', 404], ['..%2fsecret.js', 404], ['%E0%A4%A.js', 400],
    ];
    for (const [path, status, type] of expectations) {
      const r = await fetchRaw(`${base}/${path}`);
      expect(r.status, path).toBe(status);
      if (type) expect(r.type, path).toBe(type);
      expect(r.body, path).not.toContain('secret');
    }
  });
});

describe('console messages', () => {
  it('keeps the last 500, newest first, with events by name and payload counts, filtered by event name', () => {
    const messages = new ConsoleMessages();
    for (let i = 0; i < 520; i++) {
      const name = i % 2 === 0 ? 'Heartbeat' : 'Process';
      messages.add(captured(JSON.stringify({ Events: [{ Name: name, Category: 'Periodic', Payload: [{}, {}] }, { Name: name, Category: 'Periodic', Payload: [{}] }] })));
    }
    const all = messages.list(500);
    expect(all).toHaveLength(500);
    expect(all[0]?.seq).toBe(520);
    expect(all[499]?.seq).toBe(21);
    expect(all[0]?.events).toEqual([{ name: 'Process', category: 'Periodic', hits: 3 }]);
    const heartbeats = messages.list(10, 'Heartbeat');
    expect(heartbeats.map((m) => m.seq)).toEqual([519, 517, 515, 513, 511, 509, 507, 505, 503, 501]);
    expect(messages.list(5, 'NoSuchEvent')).toEqual([]);
  });

  it('shows a body that is not JSON as text, and a message without Events as having none', () => {
    const messages = new ConsoleMessages();
    const text = messages.view(messages.add(captured('plain text', Date.UTC(2026, 1, 2, 3, 4, 5))));
    expect(text).toEqual({
      seq: 1, deviceId: 'd', moduleId: 'm', receivedAt: '2026-02-02T03:04:05.000Z', properties: { '$.ct': 'application/json' }, body: 'plain text', events: [],
    });
    expect(summarizeEvents({ Events: [{ Name: 'X' }, 'junk', { Category: 'c' }] })).toEqual([{ name: 'X', category: '', hits: 0 }]);
    expect(summarizeEvents([1, 2])).toEqual([]);
  });
});
