/**
 * Several `custom-channel start --redis` processes on one Redis, the in-process emulator as
 * respond.io (recording every post it answers), and a provider that sends each contact's
 * messages in order, mostly to the contact's "home" instance and a share to another one, and
 * goes to the next instance when one is down (as a load balancer would).
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorHandle } from '../../src/emulator/types.js';
import { type BridgeProcess, E2E_CHANNEL, E2E_SECRET, type InboundEvent, spawnBridge } from './bridge-project.js';

export interface Post {
  at: number;
  status: number;
  contactId?: string;
  mIds: string[];
}

export interface RecordingEmulator {
  emulator: EmulatorHandle;
  posts: Post[];
  accepted(): Post[];
  rejected(status: number): number;
}

export async function startRecordingEmulator(stateDir: string): Promise<RecordingEmulator> {
  const emulator = await startEmulator({
    port: 0,
    stateDir,
    channels: [{ channelId: E2E_CHANNEL.channelId, token: E2E_CHANNEL.token, idType: 'phone' }],
  });
  const posts: Post[] = [];
  emulator.subscribe((event) => {
    if (event.type !== 'webhook.accepted' && event.type !== 'webhook.rejected') return;
    const body = event.exchange.requestBody as { contactId?: string; events?: Array<{ mId?: string }> } | undefined;
    posts.push({
      at: performance.now(),
      status: event.type === 'webhook.accepted' ? 200 : event.status,
      contactId: body?.contactId,
      mIds: (body?.events ?? []).map((e) => String(e.mId)),
    });
  });
  return {
    emulator,
    posts,
    accepted: () => posts.filter((p) => p.status === 200),
    rejected: (status) => posts.filter((p) => p.status === status).length,
  };
}

/** `contacts` contacts with `perContact` messages each, listed per contact in sending order. */
export function buildConversations(contacts: number, perContact: number): InboundEvent[][] {
  return Array.from({ length: contacts }, (_, c) =>
    Array.from({ length: perContact }, (_, i) => ({
      from: `+6019${String(c).padStart(7, '0')}`,
      id: `c${c}-${i}`,
      text: `message ${i} of contact ${c}`,
      ts: 1767225600000 + i,
    })),
  );
}

export interface Fleet {
  bridges: BridgeProcess[];
  urls: Array<string | undefined>;
  /** SIGKILLs instance i; returns once it is gone. */
  kill(i: number): Promise<void>;
  /** Starts instance i again; returns once it listens. */
  restart(i: number): Promise<void>;
}

export async function startFleet(root: string, webhookUrl: string, redisUrl: string, size: number): Promise<Fleet> {
  // Each instance has its own state folder, as on separate machines: on Redis the outbox and the
  // send queue keep nothing there, so no file is shared between them either.
  const argsOf = (i: number) => ['--redis', redisUrl, '--state-dir', join(root, `.state-${i}`)];
  const bridges = Array.from({ length: size }, (_, i) => spawnBridge(root, webhookUrl, argsOf(i)));
  const urls: Array<string | undefined> = await Promise.all(bridges.map((b) => b.url));
  return {
    bridges,
    urls,
    async kill(i) {
      urls[i] = undefined;
      bridges[i].child.kill('SIGKILL');
      await bridges[i].exited;
    },
    async restart(i) {
      bridges[i] = spawnBridge(root, webhookUrl, argsOf(i));
      urls[i] = await bridges[i].url;
    },
  };
}

export interface SendStats {
  tries: number;
  /** Answers by status (0: connection refused or timed out). */
  statuses: Map<number, number>;
  accepted: number;
  wrongInstance: number;
}

/**
 * Sends every conversation, each in order (the next message after the previous one was
 * answered 2xx), all conversations at once. Message i of contact c goes to instance c % n,
 * or to another one for `wrongShare` of them; a failed try moves to the next instance.
 */
export async function sendConversations(
  urls: ReadonlyArray<string | undefined>,
  conversations: InboundEvent[][],
  options: { wrongShare?: number; onAccepted?: (accepted: number) => void } = {},
): Promise<SendStats> {
  const stats: SendStats = { tries: 0, statuses: new Map(), accepted: 0, wrongInstance: 0 };
  const n = urls.length;
  const wrongShare = options.wrongShare ?? 0.3;
  const count = (status: number) => stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
  const send = async (messages: InboundEvent[], c: number) => {
    for (const [i, message] of messages.entries()) {
      // Deterministic spread: about `wrongShare` of each contact's messages go elsewhere.
      const wrong = ((i * 7919 + c * 104729) % 1000) / 1000 < wrongShare;
      let target = wrong ? (c + 1 + (i % (n - 1))) % n : c % n;
      if (wrong) stats.wrongInstance += 1;
      const raw = JSON.stringify(message);
      const signature = createHmac('sha256', E2E_SECRET).update(raw).digest('hex');
      for (;;) {
        stats.tries += 1;
        const base = urls[target];
        let status = 0;
        if (base) {
          try {
            const response = await fetch(`${base}/webhooks/e2e`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-signature': signature },
              body: raw,
              signal: AbortSignal.timeout(5000),
            });
            await response.arrayBuffer();
            status = response.status;
          } catch {
            status = 0;
          }
          count(status);
        }
        if (status >= 200 && status < 300) break;
        target = (target + 1) % n;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      stats.accepted += 1;
      options.onAccepted?.(stats.accepted);
    }
  };
  await Promise.all(conversations.map((messages, c) => send(messages, c)));
  return stats;
}

/** Per contact: are the first arrivals of its mIds in sending order? Returns the contacts that are not. */
export function outOfOrder(posts: readonly Post[], conversations: InboundEvent[][]): string[] {
  const bad: string[] = [];
  for (const messages of conversations) {
    const contact = messages[0].from;
    const seen = new Set<string>();
    const order: string[] = [];
    for (const post of posts) {
      if (post.contactId !== contact) continue;
      for (const mId of post.mIds) {
        if (!seen.has(mId)) order.push(mId);
        seen.add(mId);
      }
    }
    const expected = messages.map((m) => m.id).filter((id) => seen.has(id));
    if (order.join() !== expected.join()) bad.push(contact);
  }
  return bad;
}

/** mIds never accepted, and how many extra times accepted ones arrived. */
export function tally(posts: readonly Post[], conversations: InboundEvent[][]) {
  const counts = new Map<string, number>();
  for (const post of posts) for (const mId of post.mIds) counts.set(mId, (counts.get(mId) ?? 0) + 1);
  const all = conversations.flat();
  const missing = all.filter((m) => !counts.has(m.id)).length;
  const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  return { missing, duplicates, distinct: counts.size };
}
