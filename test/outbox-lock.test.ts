/**
 * The outbox lock tells its owner from a recycled pid: a lock naming a live but unrelated
 * process (PID 1 after a container restart) is taken over; one naming its live owner is not,
 * and the error says how to clear it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { OutboxLockedError, openFileOutbox } from '../src/outbox/index.js';
import { bootId, processStart } from '../src/outbox/lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outbox-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it.runIf(processStart(1) !== undefined)(
  'takes over a lock naming a live pid whose start time is not the owner’s',
  async () => {
    // PID 1 is alive, but it did not write this lock: it started at another time.
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: 1, start: '1', boot: bootId() }));
    const outbox = await openFileOutbox({ dir });
    await outbox.close();
  },
);

it('takes over a bare-pid lock (older format) whose live process is not a node program', async () => {
  await writeFile(join(dir, 'lock'), '1');
  const outbox = await openFileOutbox({ dir });
  await outbox.close();
});

it.runIf(bootId() !== undefined)('takes over a lock written before the last boot', async () => {
  await writeFile(
    join(dir, 'lock'),
    JSON.stringify({ pid: process.ppid, start: processStart(process.ppid), boot: 'x' }),
  );
  const outbox = await openFileOutbox({ dir });
  await outbox.close();
});

it('refuses a lock whose owner still runs, and says how to clear it', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid as number;
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid, start: processStart(pid), boot: bootId() }));
    const error = await openFileOutbox({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxLockedError);
    expect((error as Error).message).toContain(`process ${pid}`);
    expect((error as Error).message).toContain(`delete ${join(dir, 'lock')}`);
  } finally {
    child.kill('SIGKILL');
  }
});
