/**
 * The file send queue on its own (real folder, fake worker): per-contact order, the adapter's
 * sendRate, giving up, replay after a crash with a torn or corrupt journal, the id mapping,
 * and what `outbox list --sends` shows.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBridge } from '../src/bridge/index.js';
import { type FileSendQueue, openFileSendQueue } from '../src/send-queue/file-queue.js';
import { SEND_JOURNAL, SEND_QUARANTINE } from '../src/send-queue/journal.js';
import type { QueuedSend, SendResultOf } from '../src/send-queue/types.js';
import { createBridgeProject } from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';
import { runCli } from './support/cli.js';
import { retriedTexts, textInput } from './support/sends.js';

const defer = useCleanups('each');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function folder() {
  const dir = await mkdtemp(join(tmpdir(), 'send-queue-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(
  dir: string,
  options: Partial<Parameters<typeof openFileSendQueue>[0]> = {},
): Promise<FileSendQueue> {
  const queue = await openFileSendQueue({ dir, backoff: { baseMs: 10, maxMs: 20 }, ...options });
  defer(() => queue.close());
  return queue;
}

const input = textInput;

async function add(queue: FileSendQueue, contactId: string, text: string, nextAt = Date.now()) {
  const id = `cc-${contactId}-${text}`;
  await queue.enqueue({
    id,
    seq: queue.nextSeq(),
    input: input(contactId, text),
    receivedAt: Date.now(),
    attempts: 1,
    nextAt,
  });
  return id;
}

describe('file send queue', () => {
  it("keeps each contact's order, also behind a send still retrying inside /message, and holds the sendRate", async () => {
    const queue = await open(await folder(), { sendRate: 5 });
    const tries: Array<{ text: string; at: number }> = [];
    const held = queue.hold('+1');
    const early = queue.nextSeq(); // arrived first, still inside its /message budget
    for (let i = 0; i < 4; i += 1) await add(queue, '+1', `later-${i}`);
    for (let i = 0; i < 4; i += 1) await add(queue, '+2', `b-${i}`);
    queue.start(async (send): Promise<SendResultOf> => {
      const text = (send.input.message as { text: string }).text;
      tries.push({ text, at: performance.now() });
      // The first try of each send fails: order must hold through retries too.
      return tries.filter((t) => t.text === text).length === 1
        ? { ok: false, retry: true, error: 'busy' }
        : { ok: true, providerMId: `p-${text}` };
    });
    await sleep(50);
    expect(tries.some((t) => t.text.startsWith('later'))).toBe(false);
    await queue.enqueue({
      id: 'cc-first',
      seq: early,
      input: input('+1', 'first'),
      receivedAt: Date.now(),
      attempts: 3,
      nextAt: 0,
    });
    held();
    while (queue.stats().pending > 0) await sleep(20);
    const delivered = (contact: string) => retriedTexts(tries, contact);
    expect(delivered('first').concat(delivered('later'))).toEqual([
      'first',
      'later-0',
      'later-1',
      'later-2',
      'later-3',
    ]);
    expect(delivered('b-')).toEqual(['b-0', 'b-1', 'b-2', 'b-3']);
    // 18 tries at 5 per second: never more than 5 in any second.
    const times = tries.map((t) => t.at);
    // (990 ms: the limiter counts on Date.now, the test on performance.now; they round apart.)
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 990).length).toBeLessThanOrEqual(5);
    expect(queue.bridgeMIdOf('p-later-2')).toBe('cc-+1-later-2');
  }, 15_000);

  it('gives up after maxAttempts or on a refusal, telling onDead the reason', async () => {
    const queue = await open(await folder(), { maxAttempts: 3 });
    const dead: Array<[string, string]> = [];
    await add(queue, '+1', 'flaky');
    await add(queue, '+2', 'refused');
    queue.start(
      async (send) =>
        send.contactId === '+1'
          ? { ok: false, retry: true, error: 'provider answered 503' }
          : { ok: false, retry: false, error: 'provider answered 400: bad number' },
      { onDead: (send, reason) => void dead.push([send.id, reason]) },
    );
    while (queue.stats().dead < 2) await sleep(10);
    expect(dead.sort()).toEqual([
      ['cc-+1-flaky', 'not sent after 3 tries; last error: provider answered 503'],
      ['cc-+2-refused', 'the provider refused it: provider answered 400: bad number'],
    ]);
    expect((await queue.list('dead')).map((s) => s.id).sort()).toEqual(['cc-+1-flaky', 'cc-+2-refused']);
  });

  it('replays pending sends, dead letters and mappings after a crash, past a torn last line and a corrupt one', async () => {
    const dir = await folder();
    const first = await openFileSendQueue({ dir });
    const sent = await add(first, '+1', 'sent');
    await add(first, '+1', 'waiting', Date.now() + 60_000);
    let calls = 0;
    first.start(async () => {
      calls += 1;
      return calls === 1 ? { ok: true, providerMId: 'prov-1' } : { ok: false, retry: true, error: 'down' };
    });
    while (first.stats().sent < 1) await sleep(5);
    await first.close();
    // What a crash mid-write and a damaged disk leave behind: a torn last line and garbage.
    await appendFile(join(dir, SEND_JOURNAL), 'not json at all\nnull\n{"op":"add","id":"torn');
    const warnings: string[] = [];
    const second = await open(dir, { log: (message) => warnings.push(message) });
    expect(second.bridgeMIdOf('prov-1')).toBe(sent);
    const pending = await second.list('pending');
    expect(pending.map((s: QueuedSend) => (s.input.message as { text: string }).text)).toEqual(['waiting']);
    // Moved aside with one warning naming the count, and cut from the journal.
    expect(warnings).toEqual([expect.stringMatching(/3 unreadable records moved to .*sends\.quarantine\.ndjson/)]);
    expect(await readFile(join(dir, SEND_QUARANTINE), 'utf8')).toBe('not json at all\nnull\n{"op":"add","id":"torn\n');
    const text = await readFile(join(dir, SEND_JOURNAL), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/not json|torn|^null$/m);
    await second.close();
    const again: string[] = [];
    await open(dir, { log: (message) => again.push(message) });
    expect(again).toEqual([]);
  });
});

describe('provider status callbacks for queued sends', () => {
  it('reach respond.io under the bridge mId', async () => {
    const dir = await folder();
    let up = false;
    const app = buildBridge({
      adapter: {
        name: 'flaky',
        capabilities: { messageTypes: ['text'], statuses: ['sent', 'delivered'] },
        async send() {
          if (!up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          return { mId: 'prov-77' };
        },
        webhooks: [
          {
            path: '/webhooks/p',
            handle: (request) => ({
              events: [
                {
                  contactId: '+60177872890',
                  event: {
                    type: 'message_status',
                    mId: String((request.body as { id: string }).id),
                    timestamp: 1767225600000,
                    status: { value: 'delivered' },
                  },
                },
              ],
            }),
          },
        ],
      },
      channel: { channelId: 'chan-1', token: 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH', idType: 'phone' },
      respondio: { webhookUrl: 'http://127.0.0.1:1/custom/channel/webhook/' },
      stateDir: dir,
      sendTimeoutMs: 200,
      sendQueue: { backoff: { baseMs: 20, maxMs: 50 } },
    });
    defer(() => app.close());
    const answer = await app.inject({
      method: 'POST',
      url: '/message',
      headers: { authorization: 'Bearer tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH' },
      payload: { channelId: 'chan-1', contactId: '+60177872890', message: { type: 'text', text: 'hi' } },
    });
    const { mId } = answer.json();
    expect(mId).toMatch(/^cc-/);
    up = true;
    while ((app.bridge.sendQueue?.stats().sent ?? 0) < 1) await sleep(10);
    await app.inject({ method: 'POST', url: '/webhooks/p', payload: { id: 'prov-77' } });
    await app.inject({ method: 'POST', url: '/webhooks/p', payload: { id: 'someone-else' } });
    const events = (await app.bridge.outbox.list('pending')).map((e) => `${e.item.event.mId} ${e.key.split(':')[2]}`);
    expect(events.sort()).toEqual([`${mId} delivered`, `${mId} sent`, 'someone-else delivered'].sort());
  });
});

describe('custom-channel outbox list --sends', () => {
  it('shows queued sends and failed ones with their reason, while nothing holds the queue', async () => {
    const root = await createBridgeProject();
    defer(() => rm(root, { recursive: true, force: true }));
    const queue = await openFileSendQueue({ dir: join(root, '.custom-channel', 'sends'), maxAttempts: 1 });
    await add(queue, '+60177872890', 'waiting', Date.now() + 3_600_000);
    await add(queue, '+60111111111', 'gone');
    queue.start(async (send) => ({ ok: false, retry: false, error: `refused ${send.contactId}` }));
    while (queue.stats().dead < 1) await sleep(10);
    await queue.close();
    const env = { XDG_CONFIG_HOME: join(root, '.config') };
    const text = await runCli(['outbox', 'list', '--sends'], { cwd: root, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /queued sends \(waiting for the provider\): 1\n {2}cc-\+60177872890-waiting .* 1 tries {2}next try/,
    );
    expect(text.stdout).toMatch(
      /failed sends \(reported failed to respond.io\): 1\n {2}cc-\+60111111111-gone[^\n]*\n {4}the provider refused it: refused \+60111111111/,
    );
    const json = await runCli(['outbox', 'list', '--json'], { cwd: root, env });
    expect(JSON.parse(json.stdout).sends.dead).toHaveLength(1);
  });
});
