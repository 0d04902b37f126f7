/**
 * Entries replayed at start stay rows of typed arrays until something takes them (state.ts).
 * Each path that takes one must see the same entry, and a compaction, which moves the journal
 * lines, must first make every row an object (a row's offset would point at the old file).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { BridgeEvent } from '../src/bridge/adapter.js';
import { type Deliver, type FileOutbox, openFileOutbox } from '../src/outbox/index.js';

const event = (mId: string, contactId: string): BridgeEvent => ({
  contactId,
  event: { type: 'message', mId, timestamp: 1767225600000, message: { type: 'text', text: `text of ${mId}` } },
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

const lines = (dir: string) => readFileSync(join(dir, 'journal.ndjson'), 'utf8').trim().split('\n').length;

let dir: string;
const opened: FileOutbox[] = [];
const open = async (options: Omit<Parameters<typeof openFileOutbox>[0], 'dir'> = {}) => {
  const outbox = await openFileOutbox({ dir, rateLimitPerSecond: 10_000, rateWindowMs: 1000, ...options });
  opened.push(outbox);
  return outbox;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outbox-rows-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await rm(dir, { recursive: true, force: true });
});

/** A journal of 200 delivered events (contact A), then 120 pending ones over contacts B and C. */
async function journalWithBacklog(): Promise<string[]> {
  const first = await open({ compactAfter: 1_000_000 });
  const { deliver } = recording();
  await first.enqueue(Array.from({ length: 200 }, (_, i) => event(`a${i}`, '+60100000001')));
  first.start(deliver);
  await until(() => first.stats().delivered === 200);
  await first.stop();
  const backlog: string[] = [];
  for (let i = 0; i < 60; i += 1) {
    await first.enqueue([event(`b${i}`, '+60100000002'), event(`c${i}`, '+60100000003')]);
    backlog.push(`+60100000002 b${i} text of b${i}`, `+60100000003 c${i} text of c${i}`);
  }
  await first.close();
  return backlog;
}

it('a compaction with replayed rows still pending moves them with their lines: each is delivered intact, in order', async () => {
  const backlog = await journalWithBacklog();
  const before = lines(dir);
  // 320 adds and 200 done marks against 120 live entries: the next journal write compacts.
  const outbox = await open({ compactAfter: 10 });
  expect(outbox.stats().pending).toBe(120);
  await outbox.enqueue([event('after', '+60100000002')]);
  await until(() => lines(dir) < before - 150);
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
  const again = await open();
  expect(again.stats()).toMatchObject({ pending: 0, deadLetters: 0 });
});

it('the paths that take a replayed row (listing, dead letter, retry, purge, delivery) all see one entry', async () => {
  await journalWithBacklog();
  const outbox = await open();
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
  await outbox.enqueue([event('fresh', '+60100000003')]);
  await until(() => outbox.stats().delivered === 1);
  expect(got).toEqual(['+60100000003 fresh text of fresh']);
  await outbox.close();
  const again = await open();
  expect(again.stats().pending).toBe(0);
});

it('a replayed row refused by respond.io becomes a dead letter with its own payload, and a retry delivers it', async () => {
  await journalWithBacklog();
  const outbox = await open();
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
