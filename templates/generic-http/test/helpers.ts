/** Test helpers: an adapter context with a recording fake fetch, fixture readers, signed requests. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdapterContext, ProviderRequest } from 'custom-channel';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(fixturesDir, name), 'utf8')) as T;
}

export interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

export const NOW = 1767225600000;
export const SECRET = 'whsec_test_0123456789abcdef';

/** A context whose fetch answers `reply` (or throws it) and records every call. */
export function buildContext(
  env: Record<string, string>,
  reply: { status: number; body: unknown } | Error = { status: 200, body: {} },
  idType: 'phone' | 'custom' = 'phone',
) {
  const calls: Call[] = [];
  const logs: Array<{ level: string; msg: string }> = [];
  const log = (level: string) => (msg: string) => void logs.push({ level, msg });
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    });
    if (reply instanceof Error) throw reply;
    return new Response(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  const ctx: AdapterContext = {
    channel: { channelId: 'gfd8g7fd89dgfd', idType },
    env,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    fetch: fakeFetch,
    now: () => NOW,
    signal: new AbortController().signal,
  };
  return { ctx, calls, logs };
}

/** A provider callback as the bridge hands it to the adapter, signed with `secret`. */
export function signedRequest(path: string, body: unknown, secret = SECRET): ProviderRequest {
  const raw = Buffer.from(JSON.stringify(body));
  const signature = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', 'x-provider-signature': signature },
    query: {},
    rawBody: raw,
    body,
  };
}
