/**
 * Replays and secrets: each recorded leg, replayed unedited, reaches a capture server carrying
 * its own secret and no other leg's; a replay to anywhere but where the request went is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from '../src/exchange.js';
import { ExchangeFeed } from '../src/exchange.js';
import { startInspector } from '../src/inspector/server.js';
import { maskHeaders, maskSecret } from '../src/secrets.js';
import { type Received, startReceiver } from './support/inspector-receiver.js';

const TOKEN = 'tok_CHANNEL_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab';
const PROVIDER_KEY = 'pk_live_PROVIDER_0123456789abcdefghij';
const BOT_TOKEN = '7000000001:BOT_token_0123456789abcdefghijk';
const HOOK_SECRET = 'tg_hook_SECRET_0123456789abcdef';
const ALL = { TOKEN, PROVIDER_KEY, BOT_TOKEN, HOOK_SECRET };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

type Draft = Omit<Exchange, 'id' | 'time' | 'status' | 'latencyMs'>;

/** Every leg a dev session records, its URLs on `capture`, headers masked as the bridge does. */
function legs(capture: string): Array<{ name: string; draft: Draft; own: Array<keyof typeof ALL> }> {
  const bearer = (secret: string) =>
    maskHeaders({ authorization: `Bearer ${secret}`, 'content-type': 'application/json' });
  return [
    {
      name: 'respond.io -> bridge /message',
      own: ['TOKEN'],
      draft: {
        leg: 'respondio',
        direction: 'in',
        method: 'POST',
        url: '/message',
        requestHeaders: bearer(TOKEN),
        requestBody: { channelId: 'ch1', contactId: '+1555', message: { type: 'text', text: 'hi' } },
      },
    },
    {
      name: 'bridge -> respond.io webhook',
      own: ['TOKEN'],
      draft: {
        leg: 'respondio',
        direction: 'out',
        method: 'POST',
        url: `${capture}/custom/channel/webhook/`,
        requestHeaders: bearer(TOKEN),
        requestBody: { channelId: 'ch1', contactId: '+1555', events: [] },
      },
    },
    {
      name: 'bridge -> provider API (bearer key)',
      own: ['PROVIDER_KEY'],
      draft: {
        leg: 'provider',
        direction: 'out',
        method: 'POST',
        url: `${capture}/v1/messages`,
        requestHeaders: bearer(PROVIDER_KEY),
        requestBody: { to: '+1555', type: 'text', text: 'hi' },
      },
    },
    {
      name: 'bridge -> provider API (token in the path, as Telegram)',
      own: ['BOT_TOKEN'],
      draft: {
        leg: 'provider',
        direction: 'out',
        method: 'POST',
        url: `${capture}/bot${maskSecret(BOT_TOKEN)}/sendMessage`,
        requestHeaders: { 'content-type': 'application/json' },
        requestBody: { chat_id: 1, text: 'hi' },
      },
    },
    {
      name: 'provider callback -> bridge webhook route',
      own: ['HOOK_SECRET'],
      draft: {
        leg: 'provider',
        direction: 'in',
        method: 'POST',
        url: '/webhooks/telegram',
        requestHeaders: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': HOOK_SECRET },
        requestBody: { update_id: 1, message: { text: 'hello' } },
      },
    },
  ];
}

async function setup() {
  const capture = await startReceiver(() => ({ status: 200, body: { ok: true, mId: 'm-1' } }));
  closers.push(capture.close);
  const feed = new ExchangeFeed();
  const inspector = await startInspector({
    exchanges: feed,
    bridgeUrl: capture.url,
    token: () => TOKEN,
    secrets: () => [PROVIDER_KEY, BOT_TOKEN, HOOK_SECRET],
  });
  closers.push(inspector.close);
  const replay = async (body: Record<string, unknown>) => {
    const response = await fetch(`${inspector.baseUrl}api/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-inspector-token': inspector.secret },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: { message: string }; ok?: boolean } };
  };
  return { capture, feed, inspector, replay };
}

const secretsIn = (request: Received) => {
  const text = `${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`;
  return (Object.keys(ALL) as Array<keyof typeof ALL>).filter((name) => text.includes(ALL[name]));
};

describe('inspector replay', () => {
  it('an unedited replay of every recorded leg carries its own secret and no other leg’s', async () => {
    const { capture, feed, inspector, replay } = await setup();
    const cases = legs(capture.url);
    for (const { draft } of cases) feed.publish({ ...draft, time: Date.now(), status: 200, latencyMs: 1 });
    const seqs = inspector.history.list().map((entry) => entry.seq);
    expect(seqs).toHaveLength(cases.length);
    for (const [index, seq] of seqs.entries()) {
      const answer = await replay({ seq });
      expect(answer.status, cases[index].name).toBe(200);
      const got = capture.received.at(-1) as Received;
      expect(secretsIn(got), cases[index].name).toEqual(cases[index].own);
    }
    // The secrets went where they were: the bot token back in the path, the key in its header.
    expect(capture.received[3].url).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    expect(capture.received[2].headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    // The replays' own records are masked again.
    const stored = JSON.stringify(inspector.history.list());
    for (const secret of Object.values(ALL)) expect(stored).not.toContain(secret);
  });

  it('refuses a replay to anywhere but where the request went, and $TOKEN where no secret was', async () => {
    const { capture, feed, inspector, replay } = await setup();
    const elsewhere = await startReceiver();
    closers.push(elsewhere.close);
    for (const { draft } of legs(capture.url)) feed.publish({ ...draft, time: Date.now(), status: 200, latencyMs: 1 });
    const [toBridge, toWebhook, toProvider] = inspector.history.list().map((entry) => entry.seq);
    const refusals = [
      await replay({ seq: toProvider, url: `${elsewhere.url}/v1/messages` }),
      await replay({ seq: toProvider, url: 'http://evil.example/collect' }),
      await replay({ seq: toWebhook, url: `${elsewhere.url}/custom/channel/webhook/` }),
      await replay({ seq: toBridge, url: `${elsewhere.url}/message` }),
      await replay({ seq: toBridge, url: '//evil.example/message' }),
    ];
    for (const refused of refusals) {
      expect(refused.status).toBe(403);
      expect(refused.body.error?.message).toMatch(/a replay goes only to/);
    }
    const placeholder = await replay({
      seq: toProvider,
      headers: { 'content-type': 'application/json', 'x-api-key': '$TOKEN' },
    });
    expect(placeholder.status).toBe(400);
    expect(placeholder.body.error?.message).toMatch(/\$TOKEN in x-api-key/);
    // `$TOKEN` in the header that held the provider key stands for the provider key, not the channel token.
    const ok = await replay({ seq: toProvider, headers: { authorization: 'Bearer $TOKEN' } });
    expect(ok.status).toBe(200);
    expect(elsewhere.received).toHaveLength(0);
    expect(capture.received.map((r) => r.headers.authorization)).toEqual([`Bearer ${PROVIDER_KEY}`]);
  });

  it('refuses a record that kept only its path (the emulator’s view of a webhook post)', async () => {
    const { replay, inspector, feed, capture } = await setup();
    feed.publish({
      time: Date.now(),
      leg: 'respondio',
      direction: 'out',
      method: 'POST',
      url: '/custom/channel/webhook/',
      status: 200,
      latencyMs: 1,
      requestHeaders: maskHeaders({ authorization: `Bearer ${TOKEN}` }),
    });
    const [seq] = inspector.history.list().map((entry) => entry.seq);
    const refused = await replay({ seq });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toMatch(/only the request's path/);
    expect(capture.received).toHaveLength(0);
  });
});
