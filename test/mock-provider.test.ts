import { afterEach, describe, expect, it } from 'vitest';
import {
  buildMockProvider,
  buildStatusPlan,
  expectedStatuses,
  FAILED_REASON,
  type MockProvider,
  scenarios,
  startMockProvider,
} from '../src/mock-provider/index.js';
import { type CallbackSink, startCallbackSink } from './support/init-callback-sink.js';

const fast = { step: 5, slow: 40 };
let mock: MockProvider | undefined;
let sink: CallbackSink | undefined;

afterEach(async () => {
  await mock?.close();
  await sink?.close();
  mock = undefined;
  sink = undefined;
});

async function send(provider: MockProvider, body: unknown, key = provider.apiKey) {
  const response = await fetch(`${provider.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

async function stack(options: Parameters<typeof startMockProvider>[0] = {}) {
  sink = await startCallbackSink(() => mock?.webhookSecret ?? '');
  mock = await startMockProvider({ delaysMs: fast, ...options });
  mock.setCallbackBase(sink.url);
  return { mock, sink };
}

describe('scenario plans', () => {
  it.each([
    ['read', ['sent', 'delivered', 'read']],
    ['delivered', ['sent', 'delivered']],
    ['failed', ['sent', 'failed']],
    ['slow', ['sent', 'delivered', 'read']],
    ['duplicate', ['sent', 'delivered', 'delivered', 'read']],
    ['out-of-order', ['sent', 'read', 'delivered']],
    ['silent', []],
    ['provider-outage', ['sent', 'delivered', 'read']],
  ] as const)('%s posts %j', (scenario, statuses) => {
    expect(expectedStatuses(scenario)).toEqual(statuses);
  });

  it('drops the sent callback on request, gives failures a reason and slows only slow', () => {
    expect(expectedStatuses('read', { sentCallback: false })).toEqual(['delivered', 'read']);
    expect(buildStatusPlan('failed').at(-1)).toMatchObject({ status: 'failed', error: FAILED_REASON });
    expect(buildStatusPlan('slow', { stepMs: 1, slowMs: 99 }).map((s) => s.delayMs)).toEqual([99, 99, 99]);
    expect(buildStatusPlan('read', { stepMs: 1, slowMs: 99 }).map((s) => s.delayMs)).toEqual([1, 1, 1]);
  });
});

describe('provider API', () => {
  it('refuses a missing or wrong key with 401 and a bad body with 400, in the provider error format', async () => {
    const built = buildMockProvider({ apiKey: 'k-123456789' });
    const noKey = await built.app.inject({
      method: 'POST',
      url: '/v1/messages',
      payload: { to: '+1', type: 'text', text: 'x' },
    });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const auth = { authorization: 'Bearer k-123456789' };
    const noText = await built.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: auth,
      payload: { to: '+1', type: 'text' },
    });
    expect(noText.statusCode).toBe(400);
    expect(noText.json().error.message).toMatch(/^text: is required for type "text"/);
    const badType = await built.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: auth,
      payload: { to: '+1', type: 'fax' },
    });
    expect(badType.statusCode).toBe(400);
    expect(badType.json().error.code).toBe('invalid_request');
    const notJson = await built.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(notJson.statusCode).toBe(400);
    expect(built.sends()).toHaveLength(0);
    await built.close();
    await built.close(); // idempotent
  });

  it('accepts a send with an id and exposes env for the adapter', async () => {
    const { mock } = await stack();
    const result = await send(mock, { to: '+60177872890', type: 'image', mediaUrl: 'https://example.com/a.jpg' });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ id: expect.stringMatching(/^msg_[0-9a-f]{18}$/), status: 'accepted' });
    expect(mock.env).toEqual({
      PROVIDER_API_URL: mock.url,
      PROVIDER_API_KEY: mock.apiKey,
      PROVIDER_WEBHOOK_SECRET: mock.webhookSecret,
    });
    expect(mock.sends()[0]).toMatchObject({ id: result.body.id, to: '+60177872890', scenario: 'read' });
  });
});

describe('callbacks per scenario', () => {
  it.each(scenarios.filter((s) => s !== 'provider-outage'))(
    '%s: signed status callbacks in the scenario order',
    async (scenario) => {
      const { mock, sink } = await stack({ defaultScenario: scenario });
      const { body } = await send(mock, { to: '+60177872890', type: 'text', text: 'hi' });
      await mock.idle();
      const statuses = sink.requests.map((r) => r.body.status);
      expect(statuses).toEqual(expectedStatuses(scenario));
      for (const request of sink.requests) {
        expect(request).toMatchObject({ path: '/webhooks/provider', signed: true });
        expect(request.body).toMatchObject({ kind: 'status', messageId: body.id, to: '+60177872890' });
      }
      if (scenario === 'failed') expect(sink.requests.at(-1)?.body.error).toBe(FAILED_REASON);
      if (scenario === 'out-of-order') {
        const [, read, delivered] = sink.requests.map((r) => r.body.timestamp as number);
        expect(delivered).toBeLessThan(read);
      }
      expect(mock.sends()[0].callbacks.map((c) => c.httpStatus)).toEqual(statuses.map(() => 200));
    },
  );

  it('picks the scenario per recipient by rule, and rules change at run time', async () => {
    const { mock, sink } = await stack({ rules: [{ contactId: '+60123456789', scenario: 'failed' }] });
    mock.setScenario('+60111111111', 'silent');
    await send(mock, { to: '+60123456789', type: 'text', text: 'a' });
    await send(mock, { to: '+60111111111', type: 'text', text: 'b' });
    await send(mock, { to: '+60177872890', type: 'text', text: 'c' });
    await mock.idle();
    const byTo = (to: string) => sink.requests.filter((r) => r.body.to === to).map((r) => r.body.status);
    expect(byTo('+60123456789')).toEqual(['sent', 'failed']);
    expect(byTo('+60111111111')).toEqual([]);
    expect(byTo('+60177872890')).toEqual(['sent', 'delivered', 'read']);
    expect(() => mock.setScenario('*', 'lost' as never)).toThrow(/unknown scenario "lost"/);
  });

  it('retries a callback the integration server answered with 5xx', async () => {
    const { mock, sink } = await stack({ defaultScenario: 'delivered' });
    sink.failNext(503, 1);
    await send(mock, { to: '+60177872890', type: 'text', text: 'x' });
    await mock.idle();
    expect(sink.requests.map((r) => r.body.status)).toEqual(['sent', 'delivered']);
    expect(mock.callbacks()[0]).toMatchObject({ attempts: 2, httpStatus: 200 });
  });

  it('close() stops pending scenarios without waiting them out', async () => {
    const { mock, sink } = await stack({ defaultScenario: 'slow', delaysMs: { step: 5, slow: 60_000 } });
    await send(mock, { to: '+60177872890', type: 'text', text: 'x' });
    await mock.close();
    expect(sink.requests).toHaveLength(0);
  });
});

describe('control API and injection', () => {
  it('injects inbound and echo messages, signed, through the library and /_mock/', async () => {
    const { mock, sink } = await stack();
    const inbound = await mock.injectInbound({ from: '+60177872890', text: 'Hello', fromName: 'Aisha' });
    const echo = await mock.injectEcho({ to: '+60177872890', text: 'Sent from the app' });
    const viaApi = await fetch(`${mock.url}/_mock/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+60177872890', type: 'location', latitude: 3.1, longitude: 101.6 }),
    });
    expect(viaApi.status).toBe(200);
    expect(sink.requests.map((r) => [r.body.kind, r.signed])).toEqual([
      ['message', true],
      ['echo', true],
      ['message', true],
    ]);
    expect(sink.requests[0].body).toMatchObject({
      messageId: inbound.messageId,
      from: '+60177872890',
      fromName: 'Aisha',
      type: 'text',
      text: 'Hello',
    });
    expect(sink.requests[1].body).toMatchObject({ messageId: echo.messageId, to: '+60177872890', type: 'text' });
    expect(sink.requests[2].body).toMatchObject({ type: 'location', latitude: 3.1 });
  });

  it('sets scenarios, lists sends and refuses bad control input', async () => {
    const { mock } = await stack();
    const post = (path: string, body: unknown) =>
      fetch(`${mock.url}/_mock/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('scenario', { contactId: '+60123456789', scenario: 'duplicate' })).status).toBe(200);
    expect((await post('scenario', { scenario: 'delivered' })).status).toBe(200);
    expect(mock.rules()).toEqual({ '*': 'delivered', '+60123456789': 'duplicate' });
    const bad = await post('scenario', { scenario: 'lost' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^scenario:/);
    expect((await post('inbound', { text: 'no sender' })).status).toBe(400);
    await send(mock, { to: '+60123456789', type: 'text', text: 'x' });
    const listed = (await (await fetch(`${mock.url}/_mock/sends`)).json()) as { sends: unknown[] };
    expect(listed.sends).toHaveLength(1);
    expect(listed.sends[0]).toMatchObject({ to: '+60123456789', scenario: 'duplicate' });
  });

  it('answers 409 when there is nowhere to call back, 502 when the server refuses', async () => {
    mock = await startMockProvider({ delaysMs: fast });
    await expect(mock.injectInbound({ from: '+1555', text: 'x' })).rejects.toThrow(/setCallbackBase/);
    const nowhere = await fetch(`${mock.url}/_mock/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+60177872890', type: 'text', text: 'x' }),
    });
    expect(nowhere.status).toBe(409);
    sink = await startCallbackSink(() => 'a different secret');
    mock.setCallbackBase(sink.url);
    await expect(mock.injectInbound({ from: '+60177872890', text: 'x' })).rejects.toThrow(/answered 401/);
  });
});
