/**
 * What `custom-channel outbox list` shows of the send queue (`.custom-channel/sends`, or the
 * channel's queue in Redis with `--redis`): sends still waiting for the provider and the ones
 * given up (dead letters), read without a lock so it works while the bridges run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../project.js';
import { openFileSendQueue } from './file-queue.js';
import type { QueuedSend } from './types.js';

export interface SendsReport {
  dir: string;
  pending: QueuedSend[];
  dead: QueuedSend[];
}

/**
 * The queued and failed sends of the project: from its state folder, or (with `redisUrl`) from
 * the channel's shared queue in Redis.
 * @example const { pending, dead } = await listSends(process.cwd(), { redisUrl: 'redis://127.0.0.1:6379' })
 */
export async function listSends(
  cwd: string,
  options: { redisUrl?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SendsReport> {
  if (options.redisUrl) return listRedisSends(cwd, options.redisUrl, options.env);
  const dir = join(loadProject(cwd).stateDir, 'sends');
  if (!existsSync(dir)) return { dir, pending: [], dead: [] };
  const queue = await openFileSendQueue({ dir, readOnly: true });
  return { dir, pending: await queue.list('pending'), dead: await queue.list('dead') };
}

async function listRedisSends(cwd: string, url: string, env?: NodeJS.ProcessEnv): Promise<SendsReport> {
  const [{ redisChannelOf }, { openRedisSendQueue }, { checkRedisUrl, describeRedisUrl }] = await Promise.all([
    import('../outbox/run-outbox.js'),
    import('./redis-queue.js'),
    import('../outbox/redis/url.js'),
  ]);
  const channelId = await redisChannelOf(cwd, env);
  const dir = describeRedisUrl(checkRedisUrl(url));
  // Reading acknowledges nothing: a Redis the bridge would refuse is fine here.
  const queue = await openRedisSendQueue({ url, channelId, allowVolatile: true });
  try {
    return { dir, pending: await queue.list('pending'), dead: await queue.list('dead') };
  } finally {
    await queue.close();
  }
}

/** One line (plus the reason) per queued send. */
export function describeSend(send: QueuedSend): string {
  const { message } = send.input;
  const when = new Date(send.receivedAt).toISOString();
  const why = send.reason ?? send.lastError;
  const next = send.reason ? '' : `  next try ${new Date(send.nextAt).toISOString()}`;
  return `${send.id}  ${when}  ${send.contactId}  ${message.type}  ${send.attempts} tries${next}${why ? `\n    ${why}` : ''}`;
}
