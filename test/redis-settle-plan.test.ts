/** What the Redis outbox writes back for each delivery result (pure). */
import { describe, expect, it } from 'vitest';
import { redisDefaults } from '../src/outbox/redis/options.js';
import { parseSplit, planSettle } from '../src/outbox/redis/settle-plan.js';
import type { OutboxEntry } from '../src/outbox/types.js';

const o = { ...redisDefaults({ channelId: 'c' }), random: () => 0.5 };
const now = 1767225600000;
const batch: OutboxEntry[] = [0, 1, 2].map((i) => ({
  id: String(i + 1),
  key: `message:m${i}:`,
  enqueuedAt: now - 1000,
  attempts: 1,
  item: {
    contactId: '+60170000001',
    event: { type: 'message', mId: `m${i}`, timestamp: now, message: { type: 'text', text: 'x' } },
  },
}));

describe('planSettle', () => {
  it('delivered: every id done, split state dropped', () => {
    expect(planSettle(batch, { ok: true }, '2:3', now, o)).toMatchObject({
      done: ['1', '2', '3'],
      dead: [],
      split: '0',
    });
  });

  it('429 with an absurd Retry-After: waits the cap, pauses the channel as long, keeps the batch', () => {
    const plan = planSettle(
      batch,
      { ok: false, retry: true, error: '429', retryAfterMs: 1e12, channelWide: true },
      '',
      now,
      o,
    );
    expect(plan.readyDelayMs).toBe(5 * 60_000);
    expect(plan.pauseMs).toBe(5 * 60_000);
    expect(plan.updates.map(([id]) => id)).toEqual(['1', '2', '3']);
    expect(JSON.parse(plan.updates[0][1])).toMatchObject({ lastError: '429', attempts: 1 });
  });

  it('a retryable failure of events older than giveUpAfterMs dead-letters them', () => {
    const old = batch.map((e) => ({ ...e, enqueuedAt: now - o.giveUpAfterMs }));
    const plan = planSettle(old, { ok: false, retry: true, error: '503' }, '', now, o);
    expect(plan.dead.map(([id, json]) => [id, JSON.parse(json).reason])).toEqual([
      ['1', 'gave up after 1 attempts: 503'],
      ['2', 'gave up after 1 attempts: 503'],
      ['3', 'gave up after 1 attempts: 503'],
    ]);
  });

  it('named culprits become dead letters, the others go again at once', () => {
    const plan = planSettle(batch, { ok: false, retry: false, error: '400', culprits: [1, 7, -1] }, '', now, o);
    expect(plan.dead.map(([id]) => id)).toEqual(['2']);
    expect(plan.updates.map(([id]) => id)).toEqual(['1', '3']);
    expect(plan.readyDelayMs).toBe(0);
  });

  it('a rejection naming nobody halves the batch (split state stored as limit:suspects)', () => {
    const plan = planSettle(batch, { ok: false, retry: false, error: '400' }, '', now, o);
    expect(plan.dead).toEqual([]);
    expect(plan.split).toBe('2:3');
    expect(parseSplit('2:3', 10)).toEqual({ limit: 2, suspects: 3 });
    expect(parseSplit('garbage', 10)).toEqual({ limit: 10, suspects: 0 });
  });
});
