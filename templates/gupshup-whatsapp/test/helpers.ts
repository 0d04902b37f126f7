/** Test helpers: an adapter context with a recording fake fetch, and fixture readers. */
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

export const NOW = 1767225600000;

/** A context whose fetch answers `reply` (or throws it: a network failure) and records every call. */
export function buildContext(
  env: Record<string, string>,
  reply: { status: number; body: unknown } | Error = { status: 200, body: {} },
) {
  const calls: Call[] = [];
  const logs: Array<{ level: string; msg: string }> = [];
  const log = (level: string) => (msg: string) => void logs.push({ level, msg });
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      // Gupshup's send body is a form: kept as its fields.
      body: typeof init?.body === 'string' ? Object.fromEntries(new URLSearchParams(init.body)) : init?.body,
    });
    if (reply instanceof Error) throw reply;
    return new Response(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  const ctx: AdapterContext = {
    channel: { channelId: 'gfd8g7fd89dgfd', idType: 'phone' },
    env,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    fetch: fakeFetch,
    now: () => NOW,
    signal: new AbortController().signal,
  };
  return { ctx, calls, logs };
}

/** A provider webhook request as the bridge builds it. */
export function buildRequest(path: string, body: unknown, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  const raw = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  return { method: 'POST', path, headers: {}, query: {}, rawBody: Buffer.from(raw), body, ...extra };
}
