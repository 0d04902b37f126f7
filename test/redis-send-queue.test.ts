/**
 * The Redis send queue against a real redis-server, two or three queue instances on one Redis
 * (as two bridges would be): sends recorded in Redis before enqueue resolves, each contact's
 * order across instances (also behind a send still retrying inside /message on another one),
 * one sendRate budget, backoff and dead letters, the provider-id map read by another instance,
 * a contact taken over when the instance trying it stops renewing its lease, and /message
 * while the queue's Redis is down.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBridge } from '../src/bridge/index.js';
import type { RedisSendQueueOptions } from '../src/send-queue/redis/options.js';
import { openRedisSendQueue, type RedisSendQueue } from '../src/send-queue/redis-queue.js';
import type { QueuedSend, SendResultOf, SendWorker } from '../src/send-queue/types.js';
import { useCleanups } from './support/cleanups.js';
import { REDIS_SKIP_NOTE, requireRedisServer, startRedisServer, useSuiteRedis } from './support/redis-server.js';
import { retriedTexts, textInput } from './support/sends.js';

const defer = useCleanups('each');
const run = requireRedisServer();
const server = useSuiteRedis();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const channel = () => `sq-${randomBytes(4).toString('hex')}`;

async function open(channelId: string, extra: Partial<RedisSendQueueOptions> = {}): Promise<RedisSendQueue> {
  const queue = await openRedisSendQueue({
    url: server.url,
    channelId,
    idlePollMs: 20,
    backoff: { baseMs: 10, maxMs: 20 },
    ...extra,
  });
  defer(() => queue.close());
  return queue;
}

const input = textInput;
const textOf = (send: QueuedSend) => (send.input.message as { text: string }).text;

async function add(
  queue: RedisSendQueue,
  contactId: string,
  text: string,
  extra: { seq?: number; attempts?: number } = {},
) {
  const id = `cc-${contactId}-${text}`;
  await queue.enqueue({
    id,
    seq: extra.seq ?? (await queue.nextSeq()),
    input: input(contactId, text),
    receivedAt: Date.now(),
    attempts: extra.attempts ?? 1,
    nextAt: Date.now(),
  });
  return id;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await sleep(10);
  }
}

describe.runIf(run)(`RedisSendQueue${REDIS_SKIP_NOTE}`, () => {
  it('records a send in Redis before enqueue resolves, and sees a contact busy across instances', async () => {
    const id = channel();
    const [a, b] = [await open(id), await open(id)];
    expect(await b.busy('+1')).toBe(false);
    const release = a.hold('+1');
    await until(async () => (await b.busy('+1')) === true, 2000);
    release();
    await until(async () => (await b.busy('+1')) === false, 2000);
    const sent = await add(a, '+1', 'hello');
    // Nothing started on either: the send is only in Redis, and both see it.
    expect((await b.list('pending')).map((s) => s.id)).toEqual([sent]);
    expect(await b.busy('+1')).toBe(true);
    expect(b.stats()).toMatchObject({ pending: 0, inFlight: 0 });
    expect(a.stats()).toMatchObject({ pending: 1 });
    const [s1, s2] = [await a.nextSeq(), await b.nextSeq()];
    expect(s2).toBe(s1 + 1);
  });

  it("keeps each contact's order across instances, also behind a send held on another, with one sendRate budget", async () => {
    const id = channel();
    const queues = [await open(id, { sendRate: 5 }), await open(id, { sendRate: 5 }), await open(id, { sendRate: 5 })];
    const tries: Array<{ text: string; at: number; by: number }> = [];
    // Instance 0 still retrying the first message of +1 inside /message: it holds the contact.
    const held = queues[0].hold('+1');
    const early = await queues[0].nextSeq();
    for (let i = 0; i < 4; i += 1) await add(queues[(i % 2) + 1], '+1', `later-${i}`);
    for (let i = 0; i < 4; i += 1) await add(queues[i % 3], '+2', `b-${i}`);
    for (const [by, queue] of queues.entries()) {
      queue.start(async (send): Promise<SendResultOf> => {
        const text = textOf(send);
        tries.push({ text, at: performance.now(), by });
        // The first try of each send fails: order must hold through retries too.
        return tries.filter((t) => t.text === text).length === 1
          ? { ok: false, retry: true, error: 'busy' }
          : { ok: true, providerMId: `p-${text}` };
      });
    }
    await sleep(300);
    expect(tries.some((t) => t.text.startsWith('later'))).toBe(false);
    await queues[0].enqueue({
      id: 'cc-first',
      seq: early,
      input: input('+1', 'first'),
      receivedAt: Date.now(),
      attempts: 3,
      nextAt: 0,
    });
    held();
    await until(async () => (await queues[0].list('pending')).length === 0, 15_000);
    const delivered = (prefix: string) => retriedTexts(tries, prefix);
    expect(delivered('first').concat(delivered('later'))).toEqual([
      'first',
      'later-0',
      'later-1',
      'later-2',
      'later-3',
    ]);
    expect(delivered('b-')).toEqual(['b-0', 'b-1', 'b-2', 'b-3']);
    // More than one instance did the work, and 18 tries at 5 per second across all of them:
    // never more than 5 in any second (990 ms: Redis's clock and the test's round apart).
    expect(new Set(tries.map((t) => t.by)).size).toBeGreaterThan(1);
    const times = tries.map((t) => t.at);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 990).length).toBeLessThanOrEqual(5);
    // The map is shared: any instance answers for a send another made.
    for (const queue of queues) expect(await queue.bridgeMIdOf('p-later-2')).toBe('cc-+1-later-2');
    expect(await queues[1].bridgeMIdOf('p-unknown')).toBeUndefined();
  }, 20_000);

  it('backs off between tries, gives up after maxAttempts or on a refusal, and every instance lists the dead letters', async () => {
    const id = channel();
    const a = await open(id, { maxAttempts: 4, backoff: { baseMs: 100, maxMs: 100 } });
    const b = await open(id);
    const dead: Array<[string, string]> = [];
    const tries: number[] = [];
    await add(a, '+1', 'flaky');
    await add(a, '+2', 'refused');
    a.start(
      async (send) => {
        if (send.contactId === '+2') return { ok: false, retry: false, error: 'provider answered 400: bad number' };
        tries.push(performance.now());
        return { ok: false, retry: true, error: 'provider answered 503' };
      },
      { onDead: (send, reason) => void dead.push([send.id, reason]) },
    );
    await until(() => dead.length === 2);
    expect(dead.sort()).toEqual([
      ['cc-+1-flaky', 'not sent after 4 tries; last error: provider answered 503'],
      ['cc-+2-refused', 'the provider refused it: provider answered 400: bad number'],
    ]);
    // attempts 1 (inside /message) + 3 here, each a backoff (100 ms, jittered) after the last.
    expect(tries).toHaveLength(3);
    for (let i = 1; i < tries.length; i += 1) expect(tries[i] - tries[i - 1]).toBeGreaterThanOrEqual(40);
    await until(async () => (await b.list('dead')).length === 2);
    const listed = await b.list('dead');
    expect(listed.map((s) => s.id).sort()).toEqual(['cc-+1-flaky', 'cc-+2-refused']);
    expect(listed.find((s) => s.id === 'cc-+1-flaky')).toMatchObject({
      attempts: 4,
      lastError: 'provider answered 503',
    });
    expect(await b.list('pending')).toEqual([]);
  });

  it('an instance that stops renewing its lease mid-try: another takes the contact over, the try uncertain, same id', async () => {
    const id = channel();
    const a = await open(id, { leaseMs: 400, stopGraceMs: 100 });
    const b = await open(id, { leaseMs: 400 });
    let reached!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      reached = resolve;
    });
    // A's try never answers, as if its process froze or died mid-request.
    const hang: SendWorker = (_send, signal) => {
      reached();
      return new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve({ ok: false, retry: true, error: 'aborted' })),
      );
    };
    const first = await add(a, '+1', 'one');
    const second = await add(b, '+1', 'two');
    a.start(hang);
    await inFlight;
    // kill -9 as far as Redis can tell: no more renewals, no release.
    a.scripts.redis.disconnect();
    const seen: QueuedSend[] = [];
    const started = performance.now();
    b.start(async (send) => {
      seen.push(structuredClone(send));
      return { ok: true, providerMId: `p-${textOf(send)}` };
    });
    // While A's lease holds, B must not touch +1; a status for the send waits for it.
    await sleep(200);
    expect(seen).toEqual([]);
    await until(() => seen.length === 2, 5000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(seen.map((s) => [s.id, s.uncertain === true])).toEqual([
      [first, true],
      [second, false],
    ]);
    await until(() => b.stats().sent === 2);
    expect(b.bridgeMIdOf('p-one')).toBe(first);
  });

  it('settled() waits for a try in flight on another instance, so its provider id is known after', async () => {
    const id = channel();
    const a = await open(id);
    const b = await open(id);
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let reached!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const sent = await add(a, '+1', 'slow');
    a.start(async () => {
      reached();
      await answered;
      return { ok: true, providerMId: 'p-slow' };
    });
    await inFlight;
    expect(await b.bridgeMIdOf('p-slow')).toBeUndefined();
    expect(b.unsettled()).toBe(true);
    const waiting = b.settled(3000);
    setTimeout(answer, 150);
    const started = performance.now();
    await waiting;
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(await b.bridgeMIdOf('p-slow')).toBe(sent);
    // Nothing in flight: settled() returns at once.
    const quick = performance.now();
    await b.settled(3000);
    expect(performance.now() - quick).toBeLessThan(500);
  });

  it("/message with the queue's Redis down: still tries the provider, answers its mId, or the last error when it cannot queue", async () => {
    const redis = await startRedisServer();
    defer(() => redis.close());
    const queue = await openRedisSendQueue({ url: redis.url, channelId: 'chan-1' });
    defer(() => queue.close());
    const dir = await mkdtemp(join(tmpdir(), 'redis-sq-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    let up = true;
    const token = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
    const app = buildBridge({
      adapter: {
        name: 'flaky',
        capabilities: { messageTypes: ['text'], statuses: ['sent'] },
        async send() {
          if (!up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          return { mId: 'prov-1' };
        },
        webhooks: [],
      },
      channel: { channelId: 'chan-1', token, idType: 'phone' },
      respondio: { webhookUrl: 'http://127.0.0.1:1/custom/channel/webhook/' },
      stateDir: dir,
      sendTimeoutMs: 300,
      sendQueue: { queue },
    });
    defer(() => app.close());
    const post = () =>
      app.inject({
        method: 'POST',
        url: '/message',
        headers: { authorization: `Bearer ${token}` },
        payload: { channelId: 'chan-1', contactId: '+60177872890', message: { type: 'text', text: 'hi' } },
      });
    await redis.kill();
    const sent = await post();
    expect(sent.statusCode).toBe(200);
    expect(sent.json()).toEqual({ mId: 'prov-1' });
    up = false;
    const failed = await post();
    expect(failed.statusCode).toBe(400);
    expect(failed.json().error.message).toMatch(
      /^the provider did not take the message: provider unreachable: ECONNREFUSED \(\d+ tries within 300 ms\)$/,
    );
  });
});
