import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeFeed } from '../src/exchange.js';
import { PAGE_ASSETS } from '../src/inspector/assets.js';
import { buildInspector, type InspectorHandle, startInspector } from '../src/inspector/server.js';
import type { Entry, SendOutcome } from '../src/inspector/types.js';
import { startReceiver } from './support/inspector-receiver.js';
import { CHANNEL_ID, scriptedConversation } from './support/inspector-traffic.js';

const TOKEN = 'tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefgh';
const PROVIDER_KEY = 'pk_live_0123456789abcdefghijkl';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

async function setup(options: { bridgeUrl?: string; feed?: boolean } = {}) {
  const feed = new ExchangeFeed();
  const inspector: InspectorHandle = await startInspector({
    exchanges: options.feed === false ? undefined : feed,
    bridgeUrl: options.bridgeUrl,
    channelId: CHANNEL_ID,
    token: () => TOKEN,
    secrets: () => [PROVIDER_KEY],
    providerHeaders: () => ({ authorization: `Bearer ${PROVIDER_KEY}` }),
  });
  closers.push(inspector.close);
  session = inspector.secret;
  return { feed, inspector, url: inspector.baseUrl.replace(/\/$/, '') };
}

/** The inspector's session secret, as `send`/`simulate` pass it. */
let session = '';
const get = (url: string) => fetch(url, { headers: { 'x-inspector-token': session } });

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-inspector-token': session, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Reads the SSE stream until `ready` (the backlog has been sent). */
async function readStream(url: string, query = ''): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(`${url}/api/stream${query}`, {
    signal: controller.signal,
    headers: { 'x-inspector-token': session },
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!text.includes('event: ready')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  controller.abort();
  return text;
}

describe('inspector API', () => {
  it('never shows the token: not in any API answer, stream, page asset, replay or compose answer', async () => {
    const bridge = await startReceiver(() => ({
      status: 200,
      body: { mId: 'stub-1', echo: `you said Bearer ${TOKEN}` },
    }));
    closers.push(bridge.close);
    const { feed, url } = await setup({ bridgeUrl: bridge.url });
    scriptedConversation(feed, TOKEN);
    // A careless recorder: raw token in headers and bodies must still come out masked.
    feed.publish({
      time: Date.now(),
      leg: 'respondio',
      direction: 'in',
      method: 'POST',
      url: '/message',
      status: 401,
      latencyMs: 1,
      requestHeaders: { Authorization: `Bearer ${TOKEN}`, 'x-api-key': PROVIDER_KEY },
      requestBody: { channelId: CHANNEL_ID, contactId: '+1555', message: { type: 'text', text: `token is ${TOKEN}` } },
      responseBody: { error: { message: `bad token ${TOKEN}` } },
    });
    const compose = await post(`${url}/api/compose`, { contactId: '+1555', message: { type: 'text', text: 'hello' } });
    const replay = await post(`${url}/api/replay`, {
      seq: 4,
      headers: { authorization: 'Bearer $TOKEN', 'content-type': 'application/json' },
    });
    const texts = [compose.text, replay.text, await readStream(url)];
    for (const path of ['/api/info', '/api/entries', '/api/conversations', ...PAGE_ASSETS]) {
      const response = await get(`${url}${path}`);
      expect(response.status, path).toBe(200);
      texts.push(await response.text());
    }
    const all = texts.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(PROVIDER_KEY);
    expect(all).toContain('tok_…gh');
    // The bridge did get the real token, from the server side.
    expect(bridge.received.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('composes through the bridge /message as respond.io would, recording the exchange when no feed does', async () => {
    const bridge = await startReceiver();
    closers.push(bridge.close);
    const { url, inspector } = await setup({ bridgeUrl: bridge.url, feed: false });
    const message = { type: 'quick_reply', title: 'Rate us', replies: ['Good', 'Bad'] };
    const answer = await post(`${url}/api/compose`, { contactId: '+60177872890', message });
    expect(JSON.parse(answer.text)).toMatchObject({ ok: true, status: 200, body: { mId: 'stub-1' } });
    expect(bridge.received[0]).toMatchObject({ method: 'POST', url: '/message' });
    expect(JSON.parse(bridge.received[0].body)).toEqual({ channelId: CHANNEL_ID, contactId: '+60177872890', message });
    const view = await (await get(`${url}/api/conversations`)).json();
    expect(view.conversations[0].bubbles[0]).toMatchObject({ kind: 'outbound', mId: 'stub-1', status: 'sent' });
    expect(inspector.history.list()).toHaveLength(1);
  });

  it('answers bad compose and replay input with 4xx and a message, and refuses cross-origin posts and foreign Host names', async () => {
    const { url } = await setup({ bridgeUrl: 'http://127.0.0.1:9' });
    const bad = await post(`${url}/api/compose`, { contactId: '+1', message: { type: 'text', text: '' } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error.message).toBe('message.text: must not be empty');
    const missing = await post(`${url}/api/replay`, { seq: 99 });
    expect(missing.status).toBe(404);
    const foreign = await post(`${url}/api/replay`, { seq: 1 }, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const { app, secret } = await buildInspector({ token: () => TOKEN });
    closers.push(() => app.close());
    const auth = { 'x-inspector-token': secret };
    const rebound = await app.inject({ url: '/api/entries', headers: { host: 'evil.example:4444', ...auth } });
    expect(rebound.statusCode).toBe(403);
    expect((await app.inject({ url: '/api/entries', headers: { host: 'localhost:4444', ...auth } })).statusCode).toBe(
      200,
    );
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it('streams the backlog after ?since, and tells a page from before a restart to start over', async () => {
    const { feed, url } = await setup();
    scriptedConversation(feed, TOKEN);
    const after = await readStream(url, '?since=17');
    const data = after.split('\n').find((line) => line.startsWith('data: ['));
    expect(JSON.parse(data?.slice(6) ?? '[]').map((e: Entry) => e.seq)).toEqual([18, 19]);
    expect(after).not.toContain('event: reset');
    const stale = await readStream(url, '?since=500');
    expect(stale).toContain('event: reset');
    expect(stale).toContain('id: 19\n');
  });

  it('replays a captured request, as captured and edited, with the secret put back server side', async () => {
    const provider = await startReceiver(() => ({ status: 200, body: { id: 'p-2', status: 'accepted' } }));
    closers.push(provider.close);
    const { feed, url, inspector } = await setup();
    feed.publish({
      time: Date.now(),
      leg: 'provider',
      direction: 'out',
      method: 'POST',
      url: `${provider.url}/v1/messages`,
      status: 200,
      latencyMs: 5,
      requestHeaders: { authorization: 'Bearer pk_l…kl', 'content-type': 'application/json', 'content-length': '40' },
      requestBody: { to: '+1555', type: 'text', text: 'hi' },
      responseBody: { id: 'p-1', status: 'accepted' },
    });
    const plain = JSON.parse((await post(`${url}/api/replay`, { seq: 1 })).text) as SendOutcome;
    expect(plain).toMatchObject({ ok: true, status: 200, body: { id: 'p-2' } });
    const edited = JSON.parse(
      (await post(`${url}/api/replay`, { seq: 1, body: { to: '+1666', type: 'text', text: 'edited' } })).text,
    );
    expect(edited.ok).toBe(true);
    expect(provider.received.map((r) => [r.headers.authorization, JSON.parse(r.body).text])).toEqual([
      [`Bearer ${PROVIDER_KEY}`, 'hi'],
      [`Bearer ${PROVIDER_KEY}`, 'edited'],
    ]);
    const replays = inspector.history
      .list()
      .filter((e): e is Extract<Entry, { kind: 'replay' }> => e.kind === 'replay');
    expect(
      replays.map((e) => [e.exchange.replayOf, e.exchange.status, e.exchange.requestHeaders.authorization]),
    ).toEqual([
      [1, 200, 'Bearer pk_l…kl'],
      [1, 200, 'Bearer pk_l…kl'],
    ]);
  });
});
