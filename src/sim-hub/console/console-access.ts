/** Who may use the web console: a random token from the URL, a Bearer header or the console cookie; headers every answer carries. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export const CONSOLE_COOKIE = 'imaconsole';
export const CONSOLE_PATH = '/console';

/** What every console answer carries: nothing cached, nothing from elsewhere, nothing sniffed or framed, no token in a Referer. */
export const SECURITY_HEADERS: Readonly<OutgoingHttpHeaders> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** 32 random bytes, base64url: what the URL printed at start carries. */
export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Why a chosen token is unusable (too short to guess-proof, or not safe in a URL and a cookie); undefined when fine. */
export function consoleTokenProblem(token: string): string | undefined {
  return token.length >= 16 && /^[A-Za-z0-9_-]+$/.test(token) ? undefined
    : 'the console token must be at least 16 characters of A-Z, a-z, 0-9, _ and -';
}

/** How a request proved it holds the token; `query` answers a page with the cookie so the URL can drop it. */
export type Credential = 'query' | 'bearer' | 'cookie';

export class ConsoleAccess {
  private readonly digest: Buffer;

  constructor(readonly token: string) {
    const problem = consoleTokenProblem(token);
    if (problem) throw new Error(problem);
    this.digest = sha256(token);
  }

  /** The first of query token, Bearer header and cookie that matches; undefined when none does. */
  check(req: IncomingMessage, url: URL): Credential | undefined {
    if (this.matches(url.searchParams.get('token'))) return 'query';
    const auth = req.headers.authorization;
    if (auth !== undefined && /^Bearer /i.test(auth) && this.matches(auth.slice(7).trim())) return 'bearer';
    if (this.matches(cookieValue(req.headers.cookie, CONSOLE_COOKIE))) return 'cookie';
    return undefined;
  }

  /** HttpOnly so page scripts never see it; Strict so no other site's page can send it. */
  cookie(): string {
    return `${CONSOLE_COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Secure; Path=${CONSOLE_PATH}`;
  }

  // Digests make both sides the same length, as timingSafeEqual requires, without revealing the token's length.
  private matches(candidate: string | null | undefined): boolean {
    return typeof candidate === 'string' && candidate !== '' && timingSafeEqual(sha256(candidate), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A small plain-text answer (401, 404, 405...) with the security headers. */
export function sendText(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS, ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** A JSON answer with the security headers; `undefined` sends no body (204). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...(text === '' ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
