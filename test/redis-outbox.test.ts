/**
 * The Redis outbox against a real redis-server: shared dedupe, per-contact order and batches,
 * one rate budget and one 429 pause across two instances, lease takeover after an instance
 * dies, culprits and batch splitting, list/retry/purge, refusal of an evicting Redis, and 503
 * while Redis is down.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { BridgeEvent } from '../src/bridge/adapter.js';
import { openRedisOutbox, type RedisOutbox, type RedisOutboxOptions } from '../src/outbox/redis-outbox.js';
import type { DeliveryResult, OutboxEntry } from '../src/outbox/types.js';
import { OutboxUnavailableError } from '../src/outbox/types.js';
import { maxInWindow } from './support/bridge-respondio-stub.js';
import { useCleanups } from './support/cleanups.js';
import { REDIS_SKIP_NOTE, requireRedisServer, startRedisServer, useSuiteRedis } from './support/redis-server.js';

const defer = useCleanups('each');
const run = requireRedisServer();
const server = useSuiteRedis();

function message(contactId: string, mId: string): BridgeEvent {
  return { contactId, event: { type: 'message', mId, timestamp: 1767225600000, message: { type: 'text', text: mId } } };
}

interface Post {
  at: number;
  contactId: string;
  mIds: string[];
}

/** A deliver that records each post and answers with `answer(batch)` (default delivered). */
function recorder(
  answer: (batch: readonly OutboxEntry[]) => DeliveryResult | Promise<DeliveryResult> = () => ({ ok: true }),
) {
  const posts: Post[] = [];
  const deliver = async (batch: readonly OutboxEntry[]) => {
    posts.push({ at: performance.now(), contactId: batch[0].item.contactId, mIds: batch.map((e) => e.item.event.mId) });
    return answer(batch);
  };
  return { posts, deliver };
}

async function open(channelId: string, extra: Partial<RedisOutboxOptions> = {}): Promise<RedisOutbox> {
  const outbox = await openRedisOutbox({ url: server.url, channelId, idlePollMs: 20, ...extra });
  defer(() => outbox.close());
  return outbox;
}

const channel = () => `t-${randomBytes(4).toString('hex')}`;

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.runIf(run)(`RedisOutbox${REDIS_SKIP_NOTE}`, () => {
  it('dedupes across instances and delivers each contact in order, in batches of at most maxBatch', async () => {
    const id = channel();
    const [a, b] = [await open(id, { maxBatch: 4 }), await open(id, { maxBatch: 4 })];
    const events = Array.from({ length: 30 }, (_, i) => message(`+6017000000${i % 3}`, `m-${i}`));
    for (const [i, event] of events.entries()) await (i % 2 ? a : b).enqueue([event]);
    expect(await a.enqueue(events.slice(0, 5))).toEqual({ ids: [], duplicates: 5 });
    const { posts, deliver } = recorder();
    a.start(deliver);
    b.start(deliver);
    await until(() => posts.flatMap((p) => p.mIds).length >= 30);
    for (const contact of ['+60170000000', '+60170000001', '+60170000002']) {
      const seen = posts.filter((p) => p.contactId === contact).flatMap((p) => p.mIds);
      expect(seen).toEqual(events.filter((e) => e.contactId === contact).map((e) => e.event.mId));
    }
    expect(Math.max(...posts.map((p) => p.mIds.length))).toBeLessThanOrEqual(4);
    await until(() => a.stats().pending === 0);
  });

  it('keeps two instances within one budget of 20 posts per rolling second', async () => {
    const id = channel();
    const [a, b] = [await open(id), await open(id)];
    await a.enqueue(Array.from({ length: 60 }, (_, i) => message(`+60171${String(i).padStart(6, '0')}`, `r-${i}`)));
    const { posts, deliver } = recorder();
    a.start(deliver);
    b.start(deliver);
    await until(() => posts.length >= 60, 15_000);
    expect(maxInWindow(posts.map((p) => p.at))).toBeLessThanOrEqual(20);
    const span = posts[59].at - posts[0].at;
    // 60 posts at 20 per second: two full windows after the first 20.
    expect(span).toBeGreaterThan(1900);
  });

  it('a 429 with Retry-After pauses the channel for every instance', async () => {
    const id = channel();
    const [a, b] = [await open(id), await open(id)];
    await a.enqueue([message('+60172000001', 'p-1')]);
    let first = true;
    const { posts, deliver } = recorder(() => {
      if (!first) return { ok: true };
      first = false;
      return { ok: false, retry: true, error: 'respond.io answered 429', retryAfterMs: 800, channelWide: true };
    });
    a.start(deliver);
    await until(() => posts.length >= 1);
    await b.enqueue([message('+60172000002', 'p-2')]);
    b.start(deliver);
    await until(() => posts.length >= 3);
    // Nothing at all went out during the pause, from either instance.
    expect(posts[1].at - posts[0].at).toBeGreaterThan(750);
  });

  it('a dead instance’s contacts are taken over when its lease expires', async () => {
    const id = channel();
    const a = await open(id, { leaseMs: 400, stopGraceMs: 100 });
    await a.enqueue([message('+60173000001', 'l-1'), message('+60173000001', 'l-2')]);
    // `a` claims and never answers (until stopped): as if killed mid-post.
    a.start(
      (_batch, signal) =>
        new Promise<DeliveryResult>((resolve) =>
          signal.addEventListener('abort', () => resolve({ ok: false, retry: true, error: 'aborted' })),
        ),
    );
    await until(() => a.stats().inFlight === 1);
    await a.scripts.redis.disconnect();
    const b = await open(id, { leaseMs: 400 });
    const { posts, deliver } = recorder();
    const started = performance.now();
    b.start(deliver);
    await until(() => posts.length >= 1, 5000);
    expect(posts[0].mIds).toEqual(['l-1', 'l-2']);
    expect(performance.now() - started).toBeGreaterThan(150);
  });

  it('dead-letters the culprits respond.io names, splits a batch it rejects without naming any', async () => {
    const id = channel();
    const a = await open(id);
    await a.enqueue(Array.from({ length: 6 }, (_, i) => message('+60174000001', `c-${i}`)));
    const { posts, deliver } = recorder((batch) => {
      const bad = batch.findIndex((e) => e.item.event.mId === 'c-1' || e.item.event.mId === 'c-4');
      if (bad < 0) return { ok: true };
      // c-1 is named; c-4 is not (respond.io gave no path).
      const named = batch.findIndex((e) => e.item.event.mId === 'c-1');
      return named >= 0
        ? { ok: false, retry: false, error: 'bad c-1', culprits: [named] }
        : { ok: false, retry: false, error: 'bad' };
    });
    a.start(deliver);
    await until(() => a.stats().deadLetters === 2 && a.stats().pending === 0);
    const delivered = posts.filter((p) => !p.mIds.includes('c-1') && !p.mIds.includes('c-4')).flatMap((p) => p.mIds);
    expect(delivered.sort()).toEqual(['c-0', 'c-2', 'c-3', 'c-5']);
    const dead = await a.list('dead');
    expect(dead.map((e) => [e.item.event.mId, e.reason])).toEqual([
      ['c-1', 'bad c-1'],
      ['c-4', 'bad'],
    ]);
    expect(await a.retry(dead[0].id)).toBe(1);
    expect((await a.list('pending')).map((e) => e.item.event.mId)).toEqual(['c-1']);
    await a.stop();
    expect(await a.purge('all')).toBe(2);
    expect(await a.list('dead')).toEqual([]);
  });

  it('refuses a Redis that evicts keys under memory pressure, or keeps no append-only file', async () => {
    const server = await startRedisServer();
    defer(() => server.close());
    const admin = new Redis(server.url);
    defer(() => admin.quit());
    await admin.config('SET', 'maxmemory', '100mb');
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await expect(openRedisOutbox({ url: server.url, channelId: channel() })).rejects.toThrow(
      /maxmemory-policy is allkeys-lru.*noeviction/,
    );
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'appendonly', 'no');
    await expect(openRedisOutbox({ url: server.url, channelId: channel() })).rejects.toThrow(/appendonly is off/);
  });

  it('reads the settings from INFO where CONFIG is disabled, and still refuses eviction', async () => {
    const args = ['--rename-command', 'CONFIG', '', '--maxmemory', '100mb', '--maxmemory-policy', 'volatile-lru'];
    const locked = await startRedisServer({ args });
    defer(() => locked.close());
    await expect(openRedisOutbox({ url: locked.url, channelId: channel() })).rejects.toThrow(
      /maxmemory-policy is volatile-lru/,
    );
    const fine = await startRedisServer({ args: ['--rename-command', 'CONFIG', ''] });
    defer(() => fine.close());
    const warnings: string[] = [];
    const outbox = await openRedisOutbox({ url: fine.url, channelId: channel(), onWarning: (w) => warnings.push(w) });
    defer(() => outbox.close());
    expect(warnings.join('\n')).toMatch(/CONFIG is disabled: appendfsync could not be checked/);
  });
});

describe.runIf(run)(`RedisOutbox while Redis is down${REDIS_SKIP_NOTE}`, () => {
  it('rejects enqueue at once, says why in health(), and recovers when Redis returns', async () => {
    const own = await startRedisServer();
    defer(() => own.close());
    const outbox = await openRedisOutbox({ url: own.url, channelId: channel(), idlePollMs: 20 });
    defer(() => outbox.close());
    const { posts, deliver } = recorder();
    outbox.start(deliver);
    await outbox.enqueue([message('+60175000001', 'd-1')]);
    await until(() => posts.length === 1);
    await own.kill();
    const started = performance.now();
    const refused = await outbox.enqueue([message('+60175000001', 'd-2')]).catch((error) => error);
    expect(refused).toBeInstanceOf(OutboxUnavailableError);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(outbox.health()).toMatchObject({ ok: false, reason: expect.stringMatching(/Redis unreachable/) });
    await own.restart();
    await until(() => outbox.health().ok, 10_000);
    await outbox.enqueue([message('+60175000001', 'd-2')]);
    await until(() => posts.length === 2);
    // d-1 survived in the AOF as delivered: not sent again.
    expect(posts.map((p) => p.mIds[0])).toEqual(['d-1', 'd-2']);
  });

  it('a full Redis (maxmemory, noeviction) refuses the write: 503 for the provider, the reason in health()', async () => {
    const full = await startRedisServer({ args: ['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction'] });
    defer(() => full.close());
    const outbox = await openRedisOutbox({ url: full.url, channelId: channel() });
    defer(() => outbox.close());
    const admin = new Redis(full.url);
    defer(() => admin.quit());
    // Fill it past maxmemory (a big value written before the limit bites).
    await admin.config('SET', 'maxmemory', '0');
    await admin.set('ballast', 'x'.repeat(8 * 1024 * 1024));
    await admin.config('SET', 'maxmemory', '4mb');
    const refused = await outbox.enqueue([message('+60176000001', 'oom-1')]).catch((error) => error);
    expect(refused).toBeInstanceOf(OutboxUnavailableError);
    expect(String(refused.message)).toMatch(/OOM/);
    expect(outbox.health()).toMatchObject({ ok: false, reason: expect.stringMatching(/Redis refuses writes: .*OOM/) });
    // Room again (freed memory may take a moment to show in used_memory: lift the limit instead).
    await admin.del('ballast');
    await admin.config('SET', 'maxmemory', '0');
    await outbox.enqueue([message('+60176000001', 'oom-1')]);
    expect(outbox.health()).toEqual({ ok: true });
    expect((await outbox.list('pending')).map((e) => e.item.event.mId)).toEqual(['oom-1']);
  });
});
