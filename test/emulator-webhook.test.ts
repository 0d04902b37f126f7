import { afterEach, describe, expect, it } from 'vitest';
import { buildEmulator } from '../src/emulator/index.js';
import { CONTACTS, startTestEmulator, type TestEmulator, textEvent, webhookBody } from './support/emulator-helpers.js';

let emulator: TestEmulator | undefined;
afterEach(async () => {
  await emulator?.dispose();
  emulator = undefined;
});

describe('emulator webhook: contract rules over real HTTP', () => {
  it('accepts a valid post, creates the contact with its fields and stores the message', async () => {
    emulator = await startTestEmulator();
    const body = webhookBody(emulator, [textEvent('hi', 'm-1')], {
      contact: { firstName: 'Aisha', email: 'a@example.com' },
    });
    const answer = await emulator.post(body);
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
    const [contact] = emulator.listContacts();
    expect(contact).toMatchObject({ contactId: CONTACTS.ok, profile: { firstName: 'Aisha', email: 'a@example.com' } });
    const [message] = emulator.listMessages();
    expect(message).toMatchObject({ traffic: 'incoming', mId: 'm-1', message: { type: 'text', text: 'hi' } });
    expect(emulator.events().map((e) => e.type)).toEqual(['webhook.accepted', 'contact.created', 'message.inbound']);
    // The trailing slash is optional.
    const noSlash = await fetch(emulator.webhookUrl.replace(/\/$/, ''), {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.channel.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(webhookBody(emulator, [textEvent()])),
    });
    expect(noSlash.status).toBe(200);
  });

  it.each([
    ['missing', { token: null }, /missing Authorization/],
    ['malformed', { authorization: 'Token abc' }, /malformed/],
    ['wrong', { token: 'x'.repeat(46) }, /does not belong/],
  ] as const)('answers 401 for a %s token, before looking at the body', async (_name, init, message) => {
    emulator = await startTestEmulator();
    // Not even JSON: auth comes first.
    const answer = await emulator.post(undefined, { ...init, raw: 'not json' });
    expect(answer.status).toBe(401);
    expect(answer.body.error.message).toMatch(message);
  });

  it("answers 400 at path channelId when the channel is not the token's", async () => {
    emulator = await startTestEmulator({ channels: [{}, {}] });
    const other = emulator.channels[1];
    const answer = await emulator.post({ ...webhookBody(emulator, [textEvent()]), channelId: other.channelId });
    expect(answer.status).toBe(400);
    expect(answer.body.error.problems).toEqual([
      { path: 'channelId', message: expect.stringContaining("token's channel ID") },
    ]);
    // The second channel's own token works for it.
    const own = await emulator.post(
      { ...webhookBody(emulator, [textEvent()]), channelId: other.channelId },
      { token: other.token },
    );
    expect(own.status).toBe(200);
  });

  it.each([
    ['events', { events: [] }, 'events'],
    ['mId too long', { events: [textEvent('x', 'm'.repeat(51))] }, 'events[0].mId'],
    ['timestamp not an integer', { events: [{ ...textEvent(), timestamp: '2026-01-01' }] }, 'events[0].timestamp'],
    ['empty text', { events: [{ ...textEvent(), message: { type: 'text', text: '' } }] }, 'events[0].message.text'],
    ['unknown message type', { events: [{ ...textEvent(), message: { type: 'sticker' } }] }, 'events[0].message.type'],
    [
      'bad status',
      { events: [{ type: 'message_status', mId: 'a', timestamp: Date.now(), status: { value: 'seen' } }] },
      'events[0].status.value',
    ],
    ['contactId not E.164', { contactId: '60177872890' }, 'contactId'],
    ['contact.countryCode', { contact: { countryCode: 'Malaysia' } }, 'contact.countryCode'],
    [
      'attachment url',
      { events: [{ ...textEvent(), message: { type: 'attachment', attachment: { type: 'image', url: 'ftp://x' } } }] },
      'events[0].message.attachment.url',
    ],
  ])('answers 400 with the problem path for %s', async (_name, patch, path) => {
    emulator = await startTestEmulator();
    const answer = await emulator.post({ ...webhookBody(emulator, [textEvent()]), ...patch });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/invalid webhook body/);
    expect(answer.body.error.problems.map((p: { path: string }) => p.path)).toContain(path);
    expect(emulator.listMessages()).toEqual([]);
  });

  it("checks a Custom ID channel's contactId against its rules", async () => {
    emulator = await startTestEmulator({ channels: [{ idType: 'custom' }] });
    const bad = await emulator.post(webhookBody(emulator, [textEvent()], {}, 'has space'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems[0]).toMatchObject({
      path: 'contactId',
      message: expect.stringContaining('Custom ID'),
    });
    const good = await emulator.post(webhookBody(emulator, [textEvent()], {}, 'user_42@shop'));
    expect(good.status).toBe(200);
  });

  it('stores grade C findings as warnings, and rejects them with strict', async () => {
    emulator = await startTestEmulator();
    const location = { ...textEvent(), message: { type: 'location', latitude: 3.1, longitude: 101.6 } };
    const answer = await emulator.post(webhookBody(emulator, [location]));
    expect(answer.status).toBe(200);
    expect(emulator.listMessages()[0].warnings).toEqual([
      { path: 'events[0].message.type', message: expect.stringContaining('grade C') },
    ]);
    const accepted = emulator.events().find((e) => e.type === 'webhook.accepted');
    expect(accepted && 'warnings' in accepted ? accepted.warnings : []).toHaveLength(1);
    await emulator.dispose();

    emulator = await startTestEmulator({ strict: true });
    const strict = await emulator.post(webhookBody(emulator, [location]));
    expect(strict.status).toBe(400);
    expect(strict.body.error.problems[0].path).toBe('events[0].message.type');
  });

  it('answers 415 for a non-JSON content type and 413 for a body over the limit', async () => {
    emulator = await startTestEmulator({ bodyLimit: 2048 });
    const text = await emulator.post(webhookBody(emulator, [textEvent()]), { contentType: 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body.error.message).toMatch(/application\/json/);
    const big = await emulator.post(webhookBody(emulator, [textEvent('x'.repeat(5000))]));
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ error: { message: 'request body too large' } });
    const broken = await emulator.post(undefined, { raw: '{"channelId":' });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/not valid JSON/);
    const rejected = emulator.events().filter((e) => e.type === 'webhook.rejected');
    expect(rejected.map((e) => ('status' in e ? e.status : 0))).toEqual([415, 413, 400]);
  });

  it('limits a burst of 100 posts to 20 in any 1-second window; the rest get 429 with Retry-After', async () => {
    emulator = await startTestEmulator({ channels: [{}, {}] });
    const current = emulator;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => current.post(webhookBody(current, [textEvent(`n${i}`, `burst-${i}`)]))),
    );
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok.length + limited.length).toBe(100);
    expect(ok.length).toBeGreaterThan(0);
    expect(limited.length).toBeGreaterThan(0);
    for (const answer of limited) {
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answer.body.error.message).toMatch(/20 requests per second/);
    }
    const times = emulator
      .events()
      .filter((e) => e.type === 'webhook.accepted')
      .map((e) => e.time)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(ok.length);
    // (990 ms: the limiter decides on Date.now at admission; an event's time is the arrival,
    // worked back from a rounded latency on another clock, so two can drift a few ms apart.)
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i] && t < times[i] + 990).length;
      expect(inWindow).toBeLessThanOrEqual(20);
    }
    // Another channel has its own budget.
    const other = emulator.channels[1];
    const second = await emulator.post(
      { ...webhookBody(emulator, [textEvent()]), channelId: other.channelId },
      { token: other.token },
    );
    expect(second.status).toBe(200);
  });

  it('applies injected faults set through the inspection API', async () => {
    emulator = await startTestEmulator();
    const put = (faults: unknown) =>
      fetch(`${emulator?.url}/_emulator/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      }).then((r) => r.json());
    expect(await put({ force429: true })).toMatchObject({ force429: true });
    const limited = await emulator.post(webhookBody(emulator, [textEvent()]));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    await put({ force429: false, force5xx: 502 });
    expect((await emulator.post(webhookBody(emulator, [textEvent()]))).status).toBe(502);
    await put({ force5xx: false, failureRate: 1 });
    expect((await emulator.post(webhookBody(emulator, [textEvent()]))).status).toBe(503);
    await put({ failureRate: 0, latencyMs: 150 });
    const started = Date.now();
    expect((await emulator.post(webhookBody(emulator, [textEvent()]))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const bad = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failureRate: 2 }),
    });
    expect(bad.status).toBe(400);
    expect(emulator.getFaults()).toMatchObject({ latencyMs: 150, failureRate: 0, force429: false, force5xx: false });
  });

  it('builds without listening for inject() tests', async () => {
    const app = await buildEmulator({ rateLimitPerSecond: false });
    try {
      const { token, channelId } = app.emulator.channels[0];
      const res = await app.inject({
        method: 'POST',
        url: '/custom/channel/webhook/',
        headers: { authorization: `Bearer ${token}` },
        payload: { channelId, contactId: '+60177872890', events: [textEvent()] },
      });
      expect(res.statusCode).toBe(200);
      expect(app.emulator.store.listMessages()).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
