/**
 * The file send queue on a full disk (a real tmpfs of 256 KiB mounted by the test, skipped
 * where mounting is not permitted): a send the disk refused fails its enqueue and leaves no torn
 * line for the next one to be glued to; a `sent` mark the disk refused is written once space is
 * back, so a restart does not send it again.
 */
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { type FileSendQueue, openFileSendQueue } from '../src/send-queue/file-queue.js';
import { SEND_JOURNAL } from '../src/send-queue/journal.js';
import type { SendResultOf } from '../src/send-queue/types.js';
import { useCleanups } from './support/cleanups.js';
import { textInput } from './support/sends.js';
import { canMountTmpfs, fillDisk, mountTmpfs } from './support/tmpfs.js';

const defer = useCleanups('each');

function queueFolder(): string {
  const disk = mountTmpfs();
  if (!disk) throw new Error('mount failed');
  defer(() => disk.unmount());
  const dir = join(disk.path, 'sends');
  mkdirSync(dir);
  return dir;
}

async function open(dir: string): Promise<FileSendQueue> {
  const queue = await openFileSendQueue({ dir, backoff: { baseMs: 10, maxMs: 20 } });
  defer(() => queue.close());
  return queue;
}

const input = textInput;

const enqueue = (queue: FileSendQueue, id: string, text = id) =>
  queue.enqueue({
    id,
    seq: queue.nextSeq(),
    input: input('+1', text),
    receivedAt: Date.now(),
    attempts: 1,
    nextAt: Date.now() + 60_000,
  });

it.runIf(canMountTmpfs)('a send the full disk refused fails its enqueue; the next one survives a restart', async () => {
  const dir = queueFolder();
  const queue = await open(dir);
  await enqueue(queue, 'before');
  // A page of free space: the next record (8 KiB of text) is written only in part.
  const filler = fillDisk(dir, 4096);
  await expect(enqueue(queue, 'too-big', 'x'.repeat(8192))).rejects.toThrow(/ENOSPC/);
  rmSync(filler);
  await enqueue(queue, 'after');
  await queue.close();
  const lines = readFileSync(join(dir, SEND_JOURNAL), 'utf8').split('\n');
  expect(lines.pop()).toBe('');
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  const reopened = await open(dir);
  expect((await reopened.list('pending')).map((send) => send.id)).toEqual(['before', 'after']);
});

it.runIf(canMountTmpfs)('a sent mark the full disk refused is written once space is back', async () => {
  // One send in a journal of exactly one page: the mark needs a new page, which a full tmpfs
  // refuses (a write into a page already allocated would still succeed).
  const first = (queue: FileSendQueue, text: string) =>
    queue.enqueue({
      id: 'first',
      seq: queue.nextSeq(),
      input: input('+1', text),
      receivedAt: Date.now(),
      attempts: 1,
      nextAt: Date.now(),
    });
  const scratch = await mkdtemp(join(tmpdir(), 'send-queue-faults-'));
  defer(() => rm(scratch, { recursive: true, force: true }));
  const probe = await open(scratch);
  await first(probe, '');
  await probe.close();
  const padding = 4096 - statSync(join(scratch, SEND_JOURNAL)).size;
  const dir = queueFolder();
  const queue = await open(dir);
  await first(queue, 'x'.repeat(padding));
  expect(statSync(join(dir, SEND_JOURNAL)).size).toBe(4096);
  let filler: string | undefined;
  const sent: string[] = [];
  queue.start(
    async (send): Promise<SendResultOf> => {
      // The provider takes it; the mark that says so then meets a full disk.
      filler = fillDisk(dir, 0);
      return { ok: true, providerMId: `p-${send.id}` };
    },
    { onSent: (send) => void sent.push(send.id) },
  );
  const started = Date.now();
  while (sent.length === 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(sent).toEqual(['first']);
  rmSync(filler as string);
  // The next write (here, another send) puts the waiting mark down first.
  await enqueue(queue, 'second');
  await queue.close();
  const reopened = await open(dir);
  expect((await reopened.list('pending')).map((send) => send.id)).toEqual(['second']);
  expect(reopened.bridgeMIdOf('p-first')).toBe('first');
});
