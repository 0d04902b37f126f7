/**
 * The outbox under faults: a full disk (a real tmpfs of 256 KiB mounted by the test, skipped
 * where mounting is not permitted), a corrupt journal, and compaction while events keep coming.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BridgeEvent } from '../src/bridge/adapter.js';
import { buildBridge } from '../src/bridge/index.js';
import { type FileOutbox, openFileOutbox } from '../src/outbox/index.js';
import { buildTestAdapter, sign, WEBHOOK } from './support/bridge-adapter.js';
import { canMountTmpfs, fillDisk, mountTmpfs } from './support/tmpfs.js';

const event = (mId: string, contactId = '+60177872890', text = mId): BridgeEvent => ({
  contactId,
  event: { type: 'message', mId, timestamp: 1767225600000, message: { type: 'text', text } },
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let dir: string;
const opened: FileOutbox[] = [];
const open = async (options: Partial<Parameters<typeof openFileOutbox>[0]> = {}) => {
  const outbox = await openFileOutbox({ dir, ...options });
  opened.push(outbox);
  return outbox;
};
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outbox-faults-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('a full disk (real tmpfs)', () => {
  it.runIf(canMountTmpfs)(
    'fails the webhook with 503 + Retry-After, repairs the journal, and loses no acknowledged event',
    async () => {
      const disk = mountTmpfs();
      if (!disk) throw new Error('mount failed');
      const stateDir = join(disk.path, 'state');
      const adapter = buildTestAdapter();
      const build = () =>
        buildBridge({
          adapter,
          channel: { channelId: 'chan-1', token: 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH', idType: 'phone' },
          respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
          stateDir,
        });
      const send = (app: ReturnType<typeof build>, id: string, text: string) => {
        const raw = JSON.stringify({ from: '+60177872890', id, text });
        return app.inject({
          method: 'POST',
          url: WEBHOOK,
          headers: { 'content-type': 'application/json', 'x-test-signature': sign(raw) },
          payload: raw,
        });
      };
      let app = build();
      try {
        await app.ready();
        expect((await send(app, 'before', 'fits')).statusCode).toBe(200);
        // A page of free space: the next record (8 KiB of text) is written only in part.
        const filler = fillDisk(stateDir, 4096);
        const refused = await send(app, 'too-big', 'x'.repeat(8192));
        expect(refused.statusCode).toBe(503);
        expect(refused.headers['retry-after']).toBe('5');
        expect(refused.json().error.message).toMatch(/cannot write the outbox journal: ENOSPC/);
        // Space comes back; the provider's next webhook is accepted and must survive a restart.
        rmSync(filler);
        expect((await send(app, 'after', 'fits too')).statusCode).toBe(200);
        expect(app.bridge.outbox.stats()).toMatchObject({ pending: 2, journalWriteFailures: 1 });
        await app.close();
        const lines = readFileSync(join(stateDir, 'outbox', 'journal.ndjson'), 'utf8').split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.map((line) => JSON.parse(line).item.event.mId)).toEqual(['before', 'after']);
        app = build();
        await app.ready();
        const pending = await app.bridge.outbox.list('pending');
        expect(pending.map((e) => e.item.event.mId)).toEqual(['before', 'after']);
        // The provider's retry of the refused webhook is not taken for a duplicate.
        expect((await send(app, 'too-big', 'x'.repeat(100))).statusCode).toBe(200);
        expect(app.bridge.outbox.stats()).toMatchObject({ pending: 3, duplicates: 0 });
      } finally {
        await app.close();
        disk.unmount();
      }
    },
  );

  it.runIf(canMountTmpfs)(
    'starts no post while a delivery mark cannot be written, and writes it once space is back',
    async () => {
      const disk = mountTmpfs();
      if (!disk) throw new Error('mount failed');
      const outboxDir = join(disk.path, 'outbox');
      let filler: string | undefined;
      const posted: string[][] = [];
      // Three pending events in a journal of exactly one page: a mark needs a new page, which a
      // full tmpfs refuses (a write into a page already allocated would still succeed).
      const record = (id: string, contactId: string, text = id) =>
        JSON.stringify({ op: 'add', id, key: `message:${id}:`, at: Date.now(), item: event(id, contactId, text) });
      const head = `${record('a1', '+1')}\n${record('b1', '+2')}\n`;
      const padding = 4096 - Buffer.byteLength(`${head}${record('c1', '+3', '')}\n`);
      mkdirSync(outboxDir);
      writeFileSync(join(outboxDir, 'journal.ndjson'), `${head}${record('c1', '+3', 'x'.repeat(padding))}\n`);
      expect(statSync(join(outboxDir, 'journal.ndjson')).size).toBe(4096);
      const outbox = await openFileOutbox({ dir: outboxDir, concurrency: 1, rateLimitPerSecond: 1000 });
      try {
        outbox.start(async (entries) => {
          posted.push(entries.map((e) => e.item.event.mId));
          // respond.io takes the first post; its delivery mark then meets a full disk.
          filler ??= fillDisk(outboxDir, 0);
          return { ok: true };
        });
        await until(() => posted.length === 1);
        await new Promise((resolve) => setTimeout(resolve, 700));
        // A second post accepted now would be delivered again after a crash: none starts.
        expect(posted).toHaveLength(1);
        expect(outbox.stats().lastError?.message).toMatch(/ENOSPC/);
        rmSync(filler as string);
        await until(() => posted.length === 3, 3000);
        await outbox.close();
        // The mark the disk refused was written: a restart resends nothing.
        const reopened = await openFileOutbox({ dir: outboxDir });
        expect(await reopened.list('pending')).toEqual([]);
        await reopened.close();
      } finally {
        if (filler) rmSync(filler, { force: true });
        await outbox.close();
        disk.unmount();
      }
    },
  );
});

describe('a corrupt journal', () => {
  const add = (id: string, mId: string) =>
    JSON.stringify({ op: 'add', id, key: `message:${mId}:`, at: 1, item: event(mId) });

  it('quarantines every unreadable record with one warning and starts; a reader lists the rest', async () => {
    const torn = add('t', 'torn').slice(0, 40);
    writeFileSync(
      join(dir, 'journal.ndjson'),
      [
        add('a', 'first'),
        'null',
        `${torn}${add('g', 'glued')}`,
        '{"op":"bogus","id":"x"}',
        add('b', 'second'),
        '{"op":"done","id":"a","at":2}',
        add('c', 'last').slice(0, 30),
      ].join('\n'),
    );
    const reader = await open({ readOnly: true });
    expect((await reader.list('pending')).map((e) => e.item.event.mId)).toEqual(['second']);
    expect(reader.stats().quarantined).toBe(4);
    const warnings: string[] = [];
    const outbox = await open({ warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([
      `outbox journal: 4 unreadable records moved to ${join(dir, 'journal.quarantine.ndjson')}`,
    ]);
    expect((await outbox.list('pending')).map((e) => e.item.event.mId)).toEqual(['second']);
    const quarantined = readFileSync(join(dir, 'journal.quarantine.ndjson'), 'utf8').trim().split('\n');
    expect(quarantined).toHaveLength(4);
    expect(quarantined[0]).toBe('null');
    await outbox.enqueue([event('new')]);
    await outbox.close();
    const again = await open({ warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect((await again.list('pending')).map((e) => e.item.event.mId)).toEqual(['second', 'new']);
  });
});

it('reads back ids, keys and contacts with quotes, backslashes and non-ASCII after a restart', async () => {
  const odd = 'q"\\u00e9\\"x-é-😀';
  const first = await open();
  await first.enqueue([event(odd, `c"\\${odd}`)]);
  await first.close();
  const again = await open();
  const [entry] = await again.list('pending');
  expect(entry.item).toEqual(event(odd, `c"\\${odd}`));
  expect((await again.enqueue([event(odd)])).duplicates).toBe(1);
});

describe('compaction', () => {
  it('runs while events keep coming and delivery goes on; payloads are read back from their new places', async () => {
    const outbox = await open({ compactAfter: 300, rateLimitPerSecond: 10_000, rateWindowMs: 1000, concurrency: 8 });
    const delivered = new Map<string, number>();
    // One contact never gets through: its events stay pending across compactions.
    outbox.start(async (batch) => {
      if (batch[0].item.contactId === '+60199999999')
        return { ok: false, retry: true, error: '503', retryAfterMs: 60_000 };
      for (const entry of batch) delivered.set(entry.item.event.mId, (delivered.get(entry.item.event.mId) ?? 0) + 1);
      return { ok: true };
    });
    const stuck: string[] = [];
    for (let round = 0; round < 20; round += 1) {
      const events = Array.from({ length: 50 }, (_, i) =>
        event(`r${round}-${i}`, `+6012${String(i % 7).padStart(7, '0')}`),
      );
      stuck.push(`s${round}`);
      await Promise.all([
        outbox.enqueue(events),
        outbox.enqueue([event(`s${round}`, '+60199999999', `stuck ${round}`)]),
      ]);
    }
    await until(() => delivered.size === 1000);
    const size = readFileSync(join(dir, 'journal.ndjson')).length;
    // 1,000 adds and 1,000 done marks were written; compaction kept the journal small.
    expect(size).toBeLessThan(200 * 1000);
    expect([...delivered.values()].every((n) => n === 1)).toBe(true);
    const pending = await outbox.list('pending');
    expect(pending.map((e) => e.item.event.mId)).toEqual(stuck);
    expect(pending.map((e) => (e.item.event as { message: { text: string } }).message.text)).toEqual(
      stuck.map((_, i) => `stuck ${i}`),
    );
    await outbox.close();
    const again = await open();
    expect((await again.list('pending')).map((e) => e.item.event.mId)).toEqual(stuck);
    expect((await again.enqueue([event('r3-4', '+601200000004')])).duplicates).toBe(1);
  });
});

it('the dedupe window holds a key once even when a compaction wrote it twice (seen + live add)', async () => {
  const outbox = await open({ dedupeWindow: 7, compactAfter: 4 });
  outbox.start(async (batch) =>
    batch[0].item.event.mId === 'live' ? { ok: false, retry: true, error: '503', retryAfterMs: 60_000 } : { ok: true },
  );
  await outbox.enqueue([event('live', '+60199999999')]);
  for (const mId of ['k1', 'k2', 'k3', 'k4']) await outbox.enqueue([event(mId)]);
  await until(
    () => outbox.stats().delivered === 4 && readFileSync(join(dir, 'journal.ndjson'), 'utf8').includes('"op":"seen"'),
  );
  await outbox.close();
  const again = await open({ dedupeWindow: 7 });
  await again.enqueue([event('n1'), event('n2')]);
  // The window's 7 newest keys: k1..k4, live, n1, n2; evicting the compaction's older copy of
  // 'live' must not forget it.
  expect((await again.enqueue([event('live', '+60199999999')])).duplicates).toBe(1);
  expect((await again.enqueue(['k1', 'k2', 'k3', 'k4'].map((m) => event(m)))).duplicates).toBe(4);
});
