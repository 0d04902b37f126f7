/** Test helpers: an adapter context whose fake fetch answers per Bot API method, and fixture readers. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdapterContext, ProviderRequest } from 'custom-channel';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(fixturesDir, name), 'utf8')) as T;
}

export interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
}

/**
 * A context whose fetch answers `replies[<Bot API method>]` (or `replies.file` for a file
 * download) and records every call.
 */
export function buildContext(env: Record<string, string>, replies: Record<string, Reply> = {}) {
  const calls: Call[] = [];
  const logs: Array<{ level: string; msg: string }> = [];
  const log = (level: string) => (msg: string) => void logs.push({ level, msg });
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({
      url,
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    });
    const key = url.includes('/file/bot') ? 'file' : (url.split('/').at(-1) ?? '');
    const reply = replies[key] ?? { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(text, {
      status: reply.status,
      headers: { 'content-type': reply.contentType ?? 'application/json' },
    });
  }) as typeof fetch;
  const ctx: AdapterContext = {
    channel: { channelId: 'gfd8g7fd89dgfd', idType: 'custom' },
    env,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    fetch: fakeFetch,
    now: () => 1767225600000,
    signal: new AbortController().signal,
  };
  return { ctx, calls, logs };
}

/** A provider request as the bridge builds it. */
export function buildRequest(path: string, body: unknown, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  const raw = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return { method: 'POST', path, headers: {}, query: {}, rawBody: Buffer.from(raw), body, ...extra };
}
