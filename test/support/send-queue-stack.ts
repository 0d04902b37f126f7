/**
 * The offline chain for send-queue tests: the real emulator, the mock provider and the
 * scaffolded generic-http project (its real adapter passes the idempotency key on), plus the
 * checks the e2e tests share: exactly once at the provider, per-contact order, statuses under
 * the mId respond.io was given.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorHandle, OutgoingMessageRecord } from '../../src/emulator/types.js';
import { type MockProvider, startMockProvider } from '../../src/mock-provider/index.js';
import { scaffold } from '../../src/scaffold/index.js';
import { waitUntil } from './bridge-project.js';
import { REPO, tempDir } from './init-helpers.js';

export interface SendQueueStack {
  root: string;
  project: string;
  emulator: EmulatorHandle;
  mock: MockProvider;
}

export async function startSendQueueStack(options: { mockRetries?: number } = {}): Promise<SendQueueStack> {
  const root = await tempDir('cc-sendq-');
  const { dir: project } = await scaffold({
    dir: join(root, 'project'),
    template: 'generic-http',
    install: false,
    link: REPO,
  });
  const emulator = await startEmulator({ stateDir: join(root, 'emulator'), rateLimitPerSecond: false });
  const mock = await startMockProvider({ delaysMs: { step: 20 }, retries: options.mockRetries ?? 2 });
  return { root, project, emulator, mock };
}

/**
 * Sets the project's sending-leg settings (`customChannel.send` in package.json) and points
 * its adapter at the mock provider (`.env`).
 * @example await configureSending(stack, { budgetMs: 2000, retryMaxMs: 1000 })
 */
export async function configureSending(stack: SendQueueStack, send: Record<string, unknown>): Promise<void> {
  const pkgPath = join(stack.project, 'package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8'));
  pkg.customChannel.send = send;
  await writeFile(pkgPath, JSON.stringify(pkg));
  await writeFile(
    join(stack.project, '.env'),
    Object.entries(stack.mock.env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
}

export const contactOf = (c: number) => `+601700${String(c).padStart(5, '0')}`;
export const textOf = (c: number, m: number) => `contact ${c} message ${m}`;

/**
 * respond.io sends `perContact` messages to each of `contacts` contacts: each contact's one
 * after another (as respond.io would for one conversation), the contacts in parallel.
 */
export async function sendMany(
  emulator: EmulatorHandle,
  contacts: number,
  perContact: number,
): Promise<OutgoingMessageRecord[]> {
  const records: OutgoingMessageRecord[] = [];
  await Promise.all(
    Array.from({ length: contacts }, async (_, c) => {
      for (let m = 0; m < perContact; m += 1) {
        records.push(
          await emulator.sendMessage({ contactId: contactOf(c), message: { type: 'text', text: textOf(c, m) } }),
        );
      }
    }),
  );
  return records;
}

/** What reached the provider, judged against what respond.io handed the bridge. */
export function judgeProvider(mock: MockProvider, accepted: readonly OutgoingMessageRecord[]) {
  const sends = mock.sends();
  const byKey = new Map(sends.map((s) => [s.idempotencyKey ?? s.id, s]));
  const missing = accepted.filter((r) => !byKey.has(r.mId ?? '') && !sends.some((s) => s.id === r.mId));
  const duplicates = sends.reduce((n, s) => n + s.deliveries - 1, 0);
  const outOfOrder: string[] = [];
  const byContact = new Map<string, number[]>();
  for (const send of sends) {
    const match = /^contact (\d+) message (\d+)$/.exec(send.body.text ?? '');
    if (!match) continue;
    const list = byContact.get(send.to) ?? [];
    list.push(Number(match[2]));
    byContact.set(send.to, list);
  }
  for (const [to, order] of byContact) {
    if (order.some((m, i) => i > 0 && m < order[i - 1])) outOfOrder.push(`${to}: ${order.join(',')}`);
  }
  return { sends: sends.length, missing: missing.length, duplicates, outOfOrder };
}

/** Outgoing records whose statuses are not yet `read` (the mock's default scenario). */
export function unread(emulator: EmulatorHandle, mIds: readonly string[]): string[] {
  return mIds.filter((mId) => {
    const record = emulator.findByMId(emulator.channel.channelId, mId);
    return record?.traffic !== 'outgoing' || record.status !== 'read';
  });
}

/**
 * respond.io's records split into accepted (answered with an mId) and refused; waits until
 * every accepted message reads `read`, then judges what reached the provider.
 */
export async function settleSends(
  emulator: EmulatorHandle,
  mock: MockProvider,
  records: readonly OutgoingMessageRecord[],
  timeoutMs: number,
) {
  const accepted = records.filter((r) => r.mId);
  const refused = records.filter((r) => !r.mId);
  const mIds = accepted.map((r) => r.mId as string);
  await waitUntil(
    () => unread(emulator, mIds).length === 0,
    timeoutMs,
    () =>
      `${unread(emulator, mIds).length} of ${mIds.length} not read; ${JSON.stringify(judgeProvider(mock, accepted))}`,
  );
  return { accepted, refused, mIds, verdict: judgeProvider(mock, accepted) };
}
