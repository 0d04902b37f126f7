/**
 * Coalesced delivery: the pure split rules (batch.ts), the file outbox batching a contact's
 * waiting events, and the bridge's deliver against the real emulator, whose 400 problem paths
 * (`events[i]...`) name the culprits so that only they become dead letters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BridgeEvent } from '../src/bridge/adapter.js';
import { buildDeliver, culpritsOfProblems } from '../src/bridge/deliver.js';
import { startEmulator } from '../src/emulator/index.js';
import { batchSize, freshSplit, settleBatch } from '../src/outbox/batch.js';
import { type Deliver, type DeliveryResult, openFileOutbox } from '../src/outbox/index.js';
import { E2E_CHANNEL } from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';

const defer = useCleanups('each');

const event = (mId: string, contactId = '+60177872890'): BridgeEvent => ({
  contactId,
  event: { type: 'message', mId, timestamp: 1767225600000, message: { type: 'text', text: mId } },
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function tempOutbox(options: Partial<Parameters<typeof openFileOutbox>[0]> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-batch-'));
  const outbox = await openFileOutbox({ dir, backoff: { baseMs: 5, maxMs: 20 }, ...options });
  defer(async () => {
    await outbox.close();
    await rm(dir, { recursive: true, force: true });
  });
  return outbox;
}

/** Refuses posts holding any mId of `bad`; names the culprits only when `named`. */
function refusing(bad: Set<string>, named: boolean) {
  const posts: string[][] = [];
  const accepted: string[] = [];
  const deliver: Deliver = async (batch) => {
    const mIds = batch.map((e) => e.item.event.mId);
    posts.push(mIds);
    const culprits = mIds.flatMap((mId, i) => (bad.has(mId) ? [i] : []));
    if (culprits.length === 0) {
      accepted.push(...mIds);
      return { ok: true };
    }
    const result: DeliveryResult = { ok: false, retry: false, error: `respond.io answered 400: bad ${culprits}` };
    return named ? { ...result, culprits } : result;
  };
  return { deliver, posts, accepted };
}

describe('split rules', () => {
  it('keeps unjudged events and narrows an unnamed rejection down to the bad event', () => {
    const ok: DeliveryResult = { ok: true };
    const refused: DeliveryResult = { ok: false, retry: false, error: '400' };
    let split = freshSplit(10);
    expect(batchSize(split, 25, 10)).toBe(10);
    let outcome = settleBatch(10, refused, split, 10);
    expect(outcome).toMatchObject({ dead: [], again: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], backoff: false });
    split = outcome.split;
    expect(batchSize(split, 25, 10)).toBe(5);
    split = settleBatch(5, ok, split, 10).split;
    expect(batchSize(split, 20, 10)).toBe(5);
    split = settleBatch(5, refused, split, 10).split;
    expect(batchSize(split, 15, 10)).toBe(3);
    outcome = settleBatch(1, refused, { limit: 1, suspects: 2 }, 10);
    expect(outcome.dead).toEqual([0]);
    expect(settleBatch(1, ok, outcome.split, 10).split).toEqual(freshSplit(10));
  });

  it('dead-letters only the named culprits, ignoring indexes outside the batch', () => {
    const outcome = settleBatch(4, { ok: false, retry: false, error: '400', culprits: [2, 9, -1] }, freshSplit(10), 10);
    expect(outcome).toMatchObject({ dead: [2], again: [0, 1, 3], delivered: [] });
  });

  it('reads culprits from problem paths, and none when a problem concerns the whole post', () => {
    const body = (paths: string[]) => ({ error: { problems: paths.map((path) => ({ path, message: 'x' })) } });
    expect(culpritsOfProblems(body(['events[1].mId', 'events[3].message.text', 'events[1].timestamp']))).toEqual([
      1, 3,
    ]);
    expect(culpritsOfProblems(body(['contactId', 'events[0].mId']))).toBeUndefined();
    expect(culpritsOfProblems({ error: { message: 'no problems listed' } })).toBeUndefined();
  });
});

describe('batched delivery', () => {
  it('posts a contact’s waiting events together, in order, at most maxBatch per post', async () => {
    const outbox = await tempOutbox({ maxBatch: 4 });
    const a = Array.from({ length: 6 }, (_, i) => event(`a${i}`, '+60111111111'));
    const b = Array.from({ length: 3 }, (_, i) => event(`b${i}`, '+60122222222'));
    await outbox.enqueue([...a.slice(0, 3), ...b, ...a.slice(3)]);
    const { deliver, posts, accepted } = refusing(new Set(), true);
    outbox.start(deliver);
    await until(() => outbox.stats().delivered === 9);
    expect(posts).toEqual(
      expect.arrayContaining([
        ['a0', 'a1', 'a2', 'a3'],
        ['a4', 'a5'],
        ['b0', 'b1', 'b2'],
      ]),
    );
    expect(posts).toHaveLength(3);
    expect(accepted.filter((m) => m.startsWith('a'))).toEqual(a.map((e) => e.event.mId));
  });

  it('does not mix events with different contact details in one post', async () => {
    const outbox = await tempOutbox();
    await outbox.enqueue([
      event('c0'),
      { ...event('c1'), contact: { firstName: 'Aisha' } },
      { ...event('c2'), contact: { firstName: 'Aisha' } },
    ]);
    const { deliver, posts } = refusing(new Set(), true);
    outbox.start(deliver);
    await until(() => outbox.stats().delivered === 3);
    expect(posts).toEqual([['c0'], ['c1', 'c2']]);
  });

  it('a batch rejected with problem paths for one event delivers the rest', async () => {
    const outbox = await tempOutbox();
    await outbox.enqueue(['e0', 'e1', 'bad', 'e3', 'e4'].map((mId) => event(mId)));
    const { deliver, posts, accepted } = refusing(new Set(['bad']), true);
    outbox.start(deliver);
    await until(() => outbox.stats().delivered === 4 && outbox.stats().deadLetters === 1);
    expect(posts).toEqual([
      ['e0', 'e1', 'bad', 'e3', 'e4'],
      ['e0', 'e1', 'e3', 'e4'],
    ]);
    expect(accepted).toEqual(['e0', 'e1', 'e3', 'e4']);
    const [dead] = await outbox.list('dead');
    expect(dead).toMatchObject({ item: { event: { mId: 'bad' } }, reason: 'respond.io answered 400: bad 2' });
  });

  it('an unnamed rejection splits the batch until only the bad event is dead-lettered, order kept', async () => {
    const outbox = await tempOutbox({ maxBatch: 8 });
    const mIds = Array.from({ length: 8 }, (_, i) => (i === 5 ? 'bad' : `u${i}`));
    await outbox.enqueue(mIds.map((mId) => event(mId)));
    const { deliver, posts, accepted } = refusing(new Set(['bad']), false);
    outbox.start(deliver);
    await until(() => outbox.stats().delivered === 7 && outbox.stats().deadLetters === 1);
    expect(accepted).toEqual(mIds.filter((m) => m !== 'bad'));
    expect(posts.length).toBeLessThanOrEqual(8);
    expect((await outbox.list('dead')).map((e) => e.item.event.mId)).toEqual(['bad']);
  });

  it('caps an absurd Retry-After, warns once, and does not spin', async () => {
    const warnings: string[] = [];
    const outbox = await tempOutbox({ maxRetryAfterMs: 200, warn: (m) => warnings.push(m) });
    await outbox.enqueue([event('x0'), event('y0', '+60133333333'), event('z0', '+60144444444')]);
    let calls = 0;
    const started = Date.now();
    outbox.start(async () => {
      calls += 1;
      if (calls <= 3) return { ok: false, retry: true, error: '429', retryAfterMs: 3_000_000_000, channelWide: true };
      return { ok: true };
    });
    await until(() => outbox.stats().delivered === 3, 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    // Three answers of 429, then one post per contact: no storm of attempts in between.
    expect(calls).toBe(6);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/3000000 s.*0 s instead|maxRetryAfterMs/);
    expect(outbox.stats().cappedRetryAfter).toBe(3);
  });
});

it('the bridge deliver posts a batch to the real emulator, which names the bad event', async () => {
  const emulator = await startEmulator({ channels: [{ ...E2E_CHANNEL, idType: 'phone' }] });
  defer(() => emulator.close());
  const deliver = buildDeliver({
    webhookUrl: emulator.webhookUrl,
    channel: E2E_CHANNEL,
    fetch,
    now: Date.now,
    timeoutMs: 5000,
  });
  const entries = ['g0', 'x'.repeat(80), 'g2'].map((mId, i) => ({
    id: `id-${i}`,
    key: `message:${mId}:`,
    enqueuedAt: 0,
    attempts: 1,
    item: event(mId),
  }));
  const refused = await deliver(entries, new AbortController().signal);
  expect(refused).toMatchObject({ ok: false, retry: false, culprits: [1] });
  expect(await deliver([entries[0], entries[2]], new AbortController().signal)).toEqual({ ok: true });
  expect(
    emulator
      .listMessages({ traffic: 'incoming' })
      .map((m) => m.mId)
      .sort(),
  ).toEqual(['g0', 'g2']);
});
