/**
 * Retries inside `/message`'s answer budget: what is retried (RetryableError, provider
 * 429/5xx seen by ctx.fetch, network errors, timeouts), what never is (AdapterError, a plain
 * bug), Retry-After (seconds, HTTP date, absurd), and ctx.fetch carrying ctx.signal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Adapter, AdapterError, defineAdapter, RetryableError, type SendInput } from '../src/bridge/adapter.js';
import { type BridgeApp, buildBridge } from '../src/bridge/index.js';
import type { BridgeOptions } from '../src/bridge/options.js';
import {
  classifyProviderResponse,
  isNetworkError,
  retryDelay,
  throwForProviderStatus,
} from '../src/bridge/provider-status.js';
import { useCleanups } from './support/cleanups.js';

const defer = useCleanups('each');
const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const channel = { channelId: 'chan-1', token: TOKEN, idType: 'phone' as const };
const auth = { authorization: `Bearer ${TOKEN}` };
const body = (text: string, contactId = '+60177872890') => ({
  channelId: 'chan-1',
  contactId,
  message: { type: 'text', text },
});

const res = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });

describe('classifyProviderResponse / throwForProviderStatus', () => {
  const now = Date.parse('2026-12-01T00:00:00Z');
  it.each([
    [200, {}, { kind: 'ok' }],
    [404, {}, { kind: 'refuse' }],
    [422, { 'retry-after': '5' }, { kind: 'refuse' }],
    [408, {}, { kind: 'retry' }],
    [429, { 'retry-after': '2' }, { kind: 'retry', retryAfterMs: 2000 }],
    [429, { 'retry-after': 'Tue, 01 Dec 2026 00:00:03 GMT' }, { kind: 'retry', retryAfterMs: 3000 }],
    [503, { 'retry-after': 'soon' }, { kind: 'retry' }],
    [500, {}, { kind: 'retry' }],
  ] as const)('%i %j -> %j', (status, headers, verdict) => {
    expect(classifyProviderResponse(res(status, headers), now)).toEqual(verdict);
  });

  it('throws RetryableError for 429/5xx, AdapterError for other 4xx (401 becomes 400), and passes a success through', () => {
    const ok = res(201);
    expect(throwForProviderStatus(ok)).toBe(ok);
    expect(() => throwForProviderStatus(res(429, { 'retry-after': '1' }), 'slow down')).toThrow(RetryableError);
    try {
      throwForProviderStatus(res(401), 'bad key');
    } catch (error) {
      expect(error).toBeInstanceOf(AdapterError);
      expect(error).toMatchObject({ status: 400, message: 'provider answered 401: bad key' });
    }
    expect(() => throwForProviderStatus(res(422))).toThrow(AdapterError);
  });

  it('caps an absurd Retry-After, and tells network failures from other errors', () => {
    const policy = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 300_000 };
    expect(retryDelay(1, 9_999_999_000, policy)).toBe(300_000);
    expect(retryDelay(5, undefined, policy)).toBeLessThanOrEqual(1000);
    expect(isNetworkError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isNetworkError(new Error('PROVIDER_API_KEY is not set'))).toBe(false);
  });
});

/** An adapter whose send runs `script` per try, recording the inputs it saw. */
function scripted(
  script: (input: SendInput, attempt: number, ctx: Parameters<Adapter['send']>[1]) => Promise<{ mId: string }>,
) {
  const seen: SendInput[] = [];
  const adapter = defineAdapter({
    name: 'scripted',
    capabilities: { messageTypes: ['text'], statuses: ['sent'] },
    async send(input, ctx) {
      seen.push(input);
      return script(input, seen.length, ctx);
    },
    webhooks: [],
  });
  return { adapter, seen };
}

async function bridgeWith(adapter: Adapter, options: Partial<BridgeOptions> = {}): Promise<BridgeApp> {
  const dir = await mkdtemp(join(tmpdir(), 'send-retry-'));
  const app = buildBridge({
    adapter,
    channel,
    respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
    stateDir: dir,
    sendTimeoutMs: 1500,
    sendQueue: { policy: { baseMs: 20, maxMs: 100 } },
    ...options,
  });
  defer(() => rm(dir, { recursive: true, force: true }));
  defer(() => app.close());
  return app;
}

const post = (app: BridgeApp, payload = body('hi')) =>
  app.inject({ method: 'POST', url: '/message', headers: auth, payload });

describe('/message retries within its budget', () => {
  it('retries RetryableError and answers with the provider id, the same idempotency key on every try', async () => {
    const { adapter, seen } = scripted(async (_input, attempt) => {
      if (attempt < 3) throw new RetryableError('provider busy', { retryAfterMs: 30 });
      return { mId: 'p-3' };
    });
    const app = await bridgeWith(adapter);
    const answer = await post(app);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ mId: 'p-3' });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.idempotencyKey)).size).toBe(1);
    expect(seen[0].idempotencyKey).toMatch(/^cc-/);
  });

  it('never retries AdapterError or a plain bug', async () => {
    const refusing = scripted(async () => {
      throw new AdapterError('invalid recipient', 422);
    });
    const refused = await post(await bridgeWith(refusing.adapter));
    expect(refused.statusCode).toBe(422);
    expect(refusing.seen).toHaveLength(1);
    const buggy = scripted(async () => {
      throw new Error('PROVIDER_API_KEY is not set');
    });
    const bug = await post(await bridgeWith(buggy.adapter));
    expect(bug.statusCode).toBe(400);
    expect(bug.json().error.message).toBe('PROVIDER_API_KEY is not set');
    expect(buggy.seen).toHaveLength(1);
  });

  it('retries a plain Error thrown after ctx.fetch saw a 503, and queues at once on an absurd Retry-After', async () => {
    let hits = 0;
    const server = await listen((_req, response) => {
      hits += 1;
      response.writeHead(hits < 2 ? 503 : 429, { 'retry-after': hits < 2 ? '0' : '99999999' }).end();
    });
    const { adapter, seen } = scripted(async (_input, _attempt, ctx) => {
      const response = await ctx.fetch(server.url);
      if (!response.ok) throw new Error(`provider said ${response.status}`);
      return { mId: 'never' };
    });
    const app = await bridgeWith(adapter);
    const started = performance.now();
    const answer = await post(app);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(answer.statusCode).toBe(200);
    expect(answer.json().mId).toMatch(/^cc-/);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const [queued] = (await app.bridge.sendQueue?.list('pending')) ?? [];
    expect(queued.lastError).toMatch(/provider said 429 \(provider answered 429\)/);
  });

  it('ctx.fetch carries ctx.signal: a hanging provider is cut off at the budget (queue off: 408)', async () => {
    let closed = 0;
    const server = await listen((req) => {
      req.socket.on('close', () => {
        closed += 1;
      });
    });
    const { adapter } = scripted(async (_input, _attempt, ctx) => {
      await ctx.fetch(server.url);
      return { mId: 'late' };
    });
    const app = await bridgeWith(adapter, { sendTimeoutMs: 300, sendQueue: false });
    const answer = await post(app);
    expect(answer.statusCode).toBe(408);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(1);
  });

  it('ctx.signal read by the adapter itself is aborted at the budget, with the reason', async () => {
    let reason: unknown;
    const { adapter } = scripted(
      (_input, _attempt, ctx) =>
        new Promise((_resolve, reject) => {
          const { signal } = ctx;
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(signal.reason);
          });
        }),
    );
    const app = await bridgeWith(adapter, { sendTimeoutMs: 200, sendQueue: false });
    const answer = await post(app);
    expect(answer.statusCode).toBe(408);
    expect(String(reason)).toMatch(/send timed out after \d+ ms/);
  });

  it('a network error is retried; with the queue off the last error is answered', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const { adapter, seen } = scripted(async (_input, _attempt, ctx) => {
      await ctx.fetch(`http://127.0.0.1:${closedPort}/refused`);
      return { mId: 'x' };
    });
    const app = await bridgeWith(adapter, { sendTimeoutMs: 400, sendQueue: false });
    const answer = await post(app);
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error.message).toMatch(
      /^the provider did not take the message: provider unreachable: ECONNREFUSED \(\d+ tries within 400 ms\)$/,
    );
    expect(seen.length).toBeGreaterThan(1);
  });
});

async function listen(handler: RequestListener) {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/messages` };
}
