import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BridgeEvent } from '../src/bridge/adapter.js';
import {
  backoffDelay,
  type Deliver,
  type DeliveryResult,
  type FileOutbox,
  OutboxFullError,
  OutboxLockedError,
  openFileOutbox,
  parseRetryAfter,
} from '../src/outbox/index.js';

const event = (mId: string, contactId = '+60177872890'): BridgeEvent => ({
  contactId,
  event: { type: 'message', mId, timestamp: 1767225600000, message: { type: 'text', text: mId } },
});

function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out waiting'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

/**
 * A deliver that answers each event of a post from a script (default ok) and records the mIds
 * and times. A post is answered like respond.io: ok when every event is; a 4xx naming the
 * events the script refuses; else retried as a whole when any event is to be retried.
 */
function scripted(answer: (mId: string, attempt: number) => DeliveryResult = () => ({ ok: true })) {
  const calls: Array<{ mId: string; at: number }> = [];
  const posts: string[][] = [];
  const attempts = new Map<string, number>();
  const deliver: Deliver = async (batch) => {
    posts.push(batch.map((entry) => entry.item.event.mId));
    const results = batch.map((entry) => {
      const mId = entry.item.event.mId;
      const n = (attempts.get(mId) ?? 0) + 1;
      attempts.set(mId, n);
      calls.push({ mId, at: Date.now() });
      return answer(mId, n);
    });
    const refused = results.flatMap((r, i) => (!r.ok && !r.retry ? [i] : []));
    if (refused.length > 0) {
      const first = results[refused[0]] as { error: string };
      return { ok: false, retry: false, error: first.error, culprits: batch.length > 1 ? refused : undefined };
    }
    return results.find((r) => !r.ok) ?? { ok: true };
  };
  return { deliver, calls, posts };
}

let dir: string;
const open: FileOutbox[] = [];
const openOutbox = async (options: Parameters<typeof openFileOutbox>[0]) => {
  const outbox = await openFileOutbox(options);
  open.push(outbox);
  return outbox;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outbox-test-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('file outbox', () => {
  it('keeps pending events across a reopen and does not redeliver delivered ones', async () => {
    const first = await openOutbox({ dir });
    await first.enqueue([event('a'), event('b', '+60111111111')]);
    const { deliver, calls } = scripted((mId) => (mId === 'a' ? { ok: true } : { ok: false, retry: true, error: 'x' }));
    first.start(deliver);
    await until(() => first.stats().delivered === 1 && calls.length >= 2);
    await first.close();
    const second = await openOutbox({ dir });
    expect((await second.list('pending')).map((e) => e.item.event.mId)).toEqual(['b']);
    expect((await second.enqueue([event('a')])).duplicates).toBe(1);
  });

  it('answers a duplicate of an event still being written only once that write is durable', async () => {
    const outbox = await openOutbox({ dir });
    const first = outbox.enqueue([event('same')]);
    // Asked while the first write is in flight: taken for a duplicate, but not answered before it is durable.
    const second = outbox.enqueue([event('same')]).then((result) => ({ result, pending: outbox.stats().pending }));
    expect(outbox.stats().pending).toBe(0);
    expect((await first).duplicates).toBe(0);
    expect(await second).toEqual({ result: { ids: [], duplicates: 1 }, pending: 1 });
    expect((await outbox.enqueue([event('same')])).duplicates).toBe(1);
  });

  it('ignores a torn last line left by a crash mid-write', async () => {
    const first = await openOutbox({ dir });
    await first.enqueue([event('a')]);
    await first.close();
    appendFileSync(join(dir, 'journal.ndjson'), '{"op":"add","id":"zz","key":"message:b:","at":1,"item":{"conta');
    const second = await openOutbox({ dir });
    expect((await second.list('pending')).map((e) => e.item.event.mId)).toEqual(['a']);
    await second.enqueue([event('c')]);
    await second.close();
    const lines = readFileSync(join(dir, 'journal.ndjson'), 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).op)).toEqual(['add', 'add']);
  });

  it('shares fsyncs between concurrent enqueues and resolves each only after its write', async () => {
    const outbox = await openOutbox({ dir });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => outbox.enqueue([event(`m${i}`)])));
    expect(results.every((r) => r.ids.length === 1)).toBe(true);
    const journal = readFileSync(join(dir, 'journal.ndjson'), 'utf8').trim().split('\n');
    expect(journal).toHaveLength(300);
    expect(outbox.stats().pending).toBe(300);
  });

  it('never starts more than the limit in any rolling window', async () => {
    const outbox = await openOutbox({ dir, rateLimitPerSecond: 10, rateWindowMs: 200, concurrency: 8 });
    await outbox.enqueue(Array.from({ length: 45 }, (_, i) => event(`r${i}`, `+6011111${String(i).padStart(4, '0')}`)));
    // Answers take a while: a slot is counted from the answer, so starts are spaced at least a window apart.
    const { deliver: answer, calls } = scripted();
    const deliver: Deliver = async (batch, signal) => {
      const result = await answer(batch, signal);
      await new Promise((resolve) => setTimeout(resolve, 15));
      return result;
    };
    outbox.start(deliver);
    await until(() => outbox.stats().delivered === 45);
    const times = calls.map((c) => c.at).sort((a, b) => a - b);
    const worst = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 200).length));
    expect(worst, JSON.stringify(times.map((t) => t - times[0]))).toBeLessThanOrEqual(10);
  });

  it('retries 5xx and 429 (honouring Retry-After, channel-wide) and dead-letters other 4xx', async () => {
    const outbox = await openOutbox({ dir, backoff: { baseMs: 10, maxMs: 50 } });
    await outbox.enqueue([event('flaky'), event('limited', '+60122222222'), event('bad', '+60133333333')]);
    const { deliver, calls } = scripted((mId, attempt) => {
      if (mId === 'flaky' && attempt < 3) return { ok: false, retry: true, error: 'respond.io answered 500' };
      if (mId === 'limited' && attempt === 1)
        return { ok: false, retry: true, error: '429', retryAfterMs: 300, channelWide: true };
      if (mId === 'bad') return { ok: false, retry: false, error: 'respond.io answered 400: contactId invalid' };
      return { ok: true };
    });
    const started = Date.now();
    outbox.start(deliver);
    await until(() => outbox.stats().delivered === 2);
    const limited = calls.filter((c) => c.mId === 'limited');
    expect(limited).toHaveLength(2);
    expect(limited[1].at - started).toBeGreaterThanOrEqual(290);
    expect(calls.filter((c) => c.mId === 'flaky')).toHaveLength(3);
    const [dead] = await outbox.list('dead');
    expect(dead).toMatchObject({ reason: 'respond.io answered 400: contactId invalid', attempts: 1 });
    expect(outbox.stats()).toMatchObject({ pending: 0, deadLetters: 1 });
  });

  it("delivers one contact's events in order, a retried post holding back those behind it", async () => {
    const outbox = await openOutbox({ dir, backoff: { baseMs: 5, maxMs: 20 }, maxBatch: 2 });
    await outbox.enqueue(['o1', 'o2', 'o3', 'o4', 'o5'].map((mId) => event(mId)));
    const delivered: string[] = [];
    const { deliver: script, posts } = scripted((mId, attempt) =>
      mId === 'o2' && attempt < 3 ? { ok: false, retry: true, error: 'respond.io answered 502' } : { ok: true },
    );
    const deliver: Deliver = async (batch, signal) => {
      const result = await script(batch, signal);
      if (result.ok) delivered.push(...batch.map((entry) => entry.item.event.mId));
      return result;
    };
    outbox.start(deliver);
    await until(() => outbox.stats().delivered === 5);
    expect(delivered).toEqual(['o1', 'o2', 'o3', 'o4', 'o5']);
    expect(posts).toEqual([['o1', 'o2'], ['o1', 'o2'], ['o1', 'o2'], ['o3', 'o4'], ['o5']]);
  });

  it('refuses events beyond its capacity, so the provider retries later', async () => {
    const outbox = await openOutbox({ dir, maxEvents: 2 });
    await outbox.enqueue([event('a'), event('b')]);
    await expect(outbox.enqueue([event('c')])).rejects.toBeInstanceOf(OutboxFullError);
    expect(outbox.stats().pending).toBe(2);
  });

  it('moves dead letters back with retry(id) and drops them with purge', async () => {
    const outbox = await openOutbox({ dir });
    await outbox.enqueue([event('d1')], { deadLetter: 'broken' });
    await outbox.enqueue([event('d2')], { deadLetter: 'broken' });
    const [d1] = await outbox.list('dead');
    expect(await outbox.retry('nope')).toBe(0);
    expect(await outbox.retry(d1.id)).toBe(1);
    expect((await outbox.list('pending')).map((e) => e.item.event.mId)).toEqual(['d1']);
    expect(await outbox.purge()).toBe(1);
    await outbox.close();
    const again = await openOutbox({ dir });
    expect(again.stats()).toMatchObject({ pending: 1, deadLetters: 0 });
  });

  it('compacts the journal and keeps pending events and dedupe keys', async () => {
    const outbox = await openOutbox({ dir, compactAfter: 200, rateLimitPerSecond: 10_000, rateWindowMs: 1000 });
    outbox.start(scripted((mId) => (mId === 'keep' ? { ok: false, retry: false, error: 'no' } : { ok: true })).deliver);
    for (let i = 0; i < 10; i += 1) {
      await outbox.enqueue(Array.from({ length: 50 }, (_, j) => event(`c${i}-${j}`, `+6019${i}${j}0000`)));
    }
    await outbox.enqueue([event('keep')]);
    await until(() => outbox.stats().delivered === 500 && outbox.stats().deadLetters === 1);
    await outbox.enqueue([event('last')]);
    await outbox.close();
    // 1,000+ records were written; the compacted journal holds only seen keys and live entries.
    const lines = readFileSync(join(dir, 'journal.ndjson'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(300);
    expect(statSync(join(dir, 'journal.ndjson')).size).toBeGreaterThan(0);
    const again = await openOutbox({ dir });
    expect((await again.list('dead')).map((e) => e.item.event.mId)).toEqual(['keep']);
    expect((await again.enqueue([event('c3-7', '+60193700000')])).duplicates).toBe(1);
  });

  it('lets one process own the folder; others may read it', async () => {
    const owner = await openOutbox({ dir });
    await owner.enqueue([event('a')]);
    await expect(openFileOutbox({ dir })).rejects.toBeInstanceOf(OutboxLockedError);
    const reader = await openOutbox({ dir, readOnly: true });
    expect((await reader.list('pending')).map((e) => e.item.event.mId)).toEqual(['a']);
    await expect(reader.enqueue([event('b')])).rejects.toThrow(/read-only/);
  });
});

describe('retry timing', () => {
  it('grows exponentially with jitter inside [step/2, step], capped', () => {
    expect(backoffDelay(1, { baseMs: 100 }, () => 0)).toBe(50);
    expect(backoffDelay(3, { baseMs: 100 }, () => 1)).toBe(400);
    expect(backoffDelay(30, { baseMs: 100, maxMs: 1000 }, () => 1)).toBe(1000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', Date.parse('2026-01-01T00:00:00Z'))).toBe(5000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});

/**
 * Entries replayed at start stay rows of typed arrays until something takes them (state.ts).
 * Each path that takes one must see the same entry, and a compaction, which moves the journal
 * lines, must move each row's offset too (it would point at the old file).
 */
const rowEvent = (mId: string, contactId: string): BridgeEvent => ({
  contactId,
  event: { type: 'message', mId, timestamp: 1767225600000, message: { type: 'text', text: `text of ${mId}` } },
});

/** Delivers everything, recording each event's contact, mId and text as delivered. */
function recording() {
  const got: string[] = [];
  const deliver: Deliver = async (batch) => {
    for (const entry of batch) {
      const { event: e } = entry.item;
      got.push(
        `${entry.item.contactId} ${e.mId} ${e.type === 'message' && e.message.type === 'text' ? e.message.text : ''}`,
      );
    }
    return { ok: true };
  };
  return { deliver, got };
}

const journalLines = (dir: string) => readFileSync(join(dir, 'journal.ndjson'), 'utf8').trim().split('\n').length;

const openQuick = (options: Omit<Parameters<typeof openFileOutbox>[0], 'dir'> = {}) =>
  openOutbox({ dir, rateLimitPerSecond: 10_000, rateWindowMs: 1000, ...options });

/** A journal of 200 delivered events (contact A), then 120 pending ones over contacts B and C. */
async function journalWithBacklog(): Promise<string[]> {
  const first = await openQuick({ compactAfter: 1_000_000 });
  const { deliver } = recording();
  await first.enqueue(Array.from({ length: 200 }, (_, i) => rowEvent(`a${i}`, '+60100000001')));
  first.start(deliver);
  await until(() => first.stats().delivered === 200);
  await first.stop();
  const backlog: string[] = [];
  for (let i = 0; i < 60; i += 1) {
    await first.enqueue([rowEvent(`b${i}`, '+60100000002'), rowEvent(`c${i}`, '+60100000003')]);
    backlog.push(`+60100000002 b${i} text of b${i}`, `+60100000003 c${i} text of c${i}`);
  }
  await first.close();
  return backlog;
}

describe('replayed rows', () => {
  it('a compaction with replayed rows still pending moves them with their lines: each is delivered intact, in order', async () => {
    const backlog = await journalWithBacklog();
    const before = journalLines(dir);
    // 320 adds and 200 done marks against 120 live entries: the next journal write compacts.
    const outbox = await openQuick({ compactAfter: 10 });
    expect(outbox.stats().pending).toBe(120);
    await outbox.enqueue([rowEvent('after', '+60100000002')]);
    await until(() => journalLines(dir) < before - 150);
    const { deliver, got } = recording();
    outbox.start(deliver);
    await until(() => outbox.stats().delivered === 121);
    const byContact = (prefix: string) => got.filter((line) => line.startsWith(prefix));
    expect(byContact('+60100000002')).toEqual([
      ...backlog.filter((line) => line.startsWith('+60100000002')),
      '+60100000002 after text of after',
    ]);
    expect(byContact('+60100000003')).toEqual(backlog.filter((line) => line.startsWith('+60100000003')));
    expect(outbox.stats().deadLetters).toBe(0);
    await outbox.close();
    const again = await openQuick();
    expect(again.stats()).toMatchObject({ pending: 0, deadLetters: 0 });
  });

  it('the paths that take a replayed row (listing, dead letter, retry, purge, delivery) all see one entry', async () => {
    await journalWithBacklog();
    const outbox = await openQuick();
    const listed = await outbox.list('pending');
    expect(listed).toHaveLength(120);
    expect(listed.slice(0, 2).map((e) => e.item.event.mId)).toEqual(['b0', 'c0']);
    // Listed ids are the replayed ones, and a retry of one unknown as dead changes nothing.
    expect(new Set(listed.map((e) => e.id)).size).toBe(120);
    expect(await outbox.retry(listed[0].id)).toBe(0);
    // Purging the pending events takes them all out of their queues: nothing is delivered after.
    expect(await outbox.purge('pending')).toBe(120);
    expect(outbox.stats().pending).toBe(0);
    const { deliver, got } = recording();
    outbox.start(deliver);
    await outbox.enqueue([rowEvent('fresh', '+60100000003')]);
    await until(() => outbox.stats().delivered === 1);
    expect(got).toEqual(['+60100000003 fresh text of fresh']);
    await outbox.close();
    const again = await openQuick();
    expect(again.stats().pending).toBe(0);
  });

  it('a replayed row refused by respond.io becomes a dead letter with its own payload, and a retry delivers it', async () => {
    await journalWithBacklog();
    const outbox = await openQuick();
    let refuse = true;
    const got: string[] = [];
    outbox.start(async (batch) => {
      const culprits = batch.flatMap((entry, i) => (entry.item.event.mId === 'c7' && refuse ? [i] : []));
      if (culprits.length > 0) return { ok: false, retry: false, error: 'bad c7', culprits };
      for (const entry of batch) got.push(entry.item.event.mId);
      return { ok: true };
    });
    await until(() => outbox.stats().delivered === 119 && outbox.stats().deadLetters === 1);
    const [dead] = await outbox.list('dead');
    expect(dead).toMatchObject({ reason: 'bad c7', item: { event: { mId: 'c7' } } });
    refuse = false;
    expect(await outbox.retry(dead.id)).toBe(1);
    await until(() => outbox.stats().delivered === 120);
    expect(got.filter((mId) => mId === 'c7')).toEqual(['c7']);
    expect(got.filter((mId) => mId.startsWith('b'))).toEqual(Array.from({ length: 60 }, (_, i) => `b${i}`));
  });
});

describe('a compaction over replayed rows', () => {
  it('moves rows as rows, and a row taken while the copy runs gets its new place too', async () => {
    const { compactJournal } = await import('../src/outbox/compact.js');
    const { Journal } = await import('../src/outbox/journal.js');
    const { replayJournal } = await import('../src/outbox/replay.js');
    await journalWithBacklog();
    const { state, records } = replayJournal(dir, { dedupeWindow: 1000, repair: false, warn: () => {} });
    const journal = Journal.open(dir, records);
    const rows = [...state.pending.rawValues()];
    expect(rows).toHaveLength(120);
    expect(rows.every((item) => typeof item === 'number')).toBe(true);
    const listed = [...state.pendingInQueueOrder()];
    expect(listed.every((item) => typeof item === 'number')).toBe(true);
    // Made by a lookup (as a listing does) while its queue still holds the row.
    const written = readFileSync(join(dir, 'journal.ndjson'), 'utf8').trim().split('\n');
    const c5 = written.map((text) => JSON.parse(text)).find((r) => r.op === 'add' && r.item.event.mId === 'c5');
    const looked = state.pending.get(c5.id);
    if (!looked) throw new Error('c5 is not pending');
    const copying = compactJournal(journal, state);
    // Taken while the copy runs (before its fsync and swap): made with the old file's offset.
    const [firstQueue] = state.contacts.values();
    const [taken] = firstQueue.head(1);
    const oldOffset = taken.off;
    await copying;
    expect(journalLines(dir)).toBeLessThan(200);
    expect(taken.off).not.toBe(oldOffset);
    const line = (entry: { off: number; len: number }) =>
      JSON.parse(journal.read(entry.off, entry.len).toString('utf8'));
    expect(line(taken)).toMatchObject({ op: 'add', id: taken.id });
    expect(line(looked)).toMatchObject({ op: 'add', id: c5.id, item: { event: { mId: 'c5' } } });
    // The rest are still rows, and each reads back its own line from the new file.
    const rest = [...state.pendingInQueueOrder()];
    expect(rest.filter((item) => typeof item === 'number')).toHaveLength(119);
    for (const entry of state.pending.values()) expect(line(entry)).toMatchObject({ op: 'add', id: entry.id });
    await journal.close();
  });
});
