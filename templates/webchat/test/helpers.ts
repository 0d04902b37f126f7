/** Test helpers: an adapter context over a temp state folder, and widget requests as the bridge builds them. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdapterContext, ProviderRequest } from 'custom-channel';

export const SECRET = 'test-secret-for-webchat-0123456789abcdef';
export const NOW = 1767225600000;

export function buildContext(env: Record<string, string> = { WEBCHAT_SECRET: SECRET }) {
  const logs: Array<{ level: string; msg: string }> = [];
  const log = (level: string) => (msg: string) => void logs.push({ level, msg });
  let now = NOW;
  const ctx: AdapterContext = {
    channel: { channelId: 'gfd8g7fd89dgfd', idType: 'custom' },
    env,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    fetch: (async () => {
      throw new Error('the web chat calls no provider');
    }) as typeof fetch,
    now: () => now,
    signal: new AbortController().signal,
    stateDir: mkdtempSync(join(tmpdir(), 'webchat-test-')),
  };
  const advance = (ms: number) => {
    now += ms;
  };
  return { ctx, logs, advance };
}

/** A widget request: JSON sent as text/plain, like the widget does. */
export function widgetRequest(path: string, body: unknown, headers: Record<string, string> = {}): ProviderRequest {
  const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return {
    method: 'POST',
    path,
    headers: { host: 'chat.example.com', 'content-type': 'text/plain;charset=UTF-8', ...headers },
    query: {},
    rawBody: Buffer.from(raw),
    body: raw,
  };
}
