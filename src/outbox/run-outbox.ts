/**
 * `runOutbox`: the service behind `custom-channel outbox`, on a project's
 * `.custom-channel/outbox`. Listing works while the bridge runs (read-only); retry and purge
 * need the outbox to themselves, so they refuse while a bridge holds it.
 */
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { checkReadable } from '../lib/check-readable.js';
import { loadProject } from '../project.js';
import { openFileOutbox } from './file-outbox.js';
import { JOURNAL_FILE } from './journal.js';
import { OutboxLockedError } from './lock.js';
import type { OutboxEntry } from './types.js';

export type OutboxAction = 'list' | 'retry' | 'purge';

export interface RunOutboxInput {
  cwd: string;
  action: OutboxAction;
  /** retry: one dead letter's id (all dead letters when omitted). */
  id?: string;
  /** list: only dead letters. */
  dead?: boolean;
  /** purge: pending events instead of dead letters. */
  pending?: boolean;
  /** Work on the shared Redis outbox at this URL (retry and purge are safe while bridges run). */
  redisUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** The bridge's state folder (`start --state-dir`); default `CUSTOM_CHANNEL_STATE_DIR` or the project's. */
  stateDir?: string;
}

export interface OutboxReport {
  dir: string;
  action: OutboxAction;
  pending?: OutboxEntry[];
  dead?: OutboxEntry[];
  /** retry/purge: how many events moved or were dropped. */
  count?: number;
  /** list: unreadable journal records skipped (quarantined when the bridge starts). */
  unreadable?: number;
}

/** The project's Channel ID: Redis keeps a channel's outbox and send queue under it. */
export async function redisChannelOf(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { resolveConfig } = await import('../config/resolve.js');
  const channelId = (await resolveConfig({ cwd, env })).values.channelId;
  if (!channelId) {
    throw new CliError('no respond.io channel configured: the Redis outbox is kept per Channel ID', {
      hint: 'set RESPONDIO_CHANNEL_ID, or run `custom-channel config set channel-id …`',
    });
  }
  return channelId;
}

/** The same actions on the Redis outbox of the project's channel: atomic scripts, so no need to stop the bridges. */
async function runRedisOutbox(input: RunOutboxInput & { redisUrl: string }): Promise<OutboxReport> {
  const [{ openRedisOutbox }, { checkRedisUrl, describeRedisUrl }] = await Promise.all([
    import('./redis-outbox.js'),
    import('./redis/url.js'),
  ]);
  const channelId = await redisChannelOf(input.cwd, input.env);
  const dir = describeRedisUrl(checkRedisUrl(input.redisUrl));
  // Reading and moving entries acknowledges nothing: a Redis the bridge would refuse is fine here.
  const outbox = await openRedisOutbox({ url: input.redisUrl, channelId, allowVolatile: true });
  try {
    if (input.action === 'list') {
      const pending = input.dead ? undefined : await outbox.list('pending');
      return { dir, action: 'list', pending, dead: await outbox.list('dead') };
    }
    if (input.action === 'retry') {
      const count = await outbox.retry(input.id);
      if (input.id && count === 0) {
        throw new CliError(`no dead letter with id ${input.id}`, { hint: 'see `custom-channel outbox list --dead`' });
      }
      return { dir, action: 'retry', count };
    }
    return { dir, action: 'purge', count: await outbox.purge(input.pending ? 'pending' : 'dead') };
  } finally {
    await outbox.close();
  }
}

export async function runOutbox(input: RunOutboxInput): Promise<OutboxReport> {
  if (input.redisUrl) return runRedisOutbox({ ...input, redisUrl: input.redisUrl });
  const env = input.stateDir ? { ...process.env, CUSTOM_CHANNEL_STATE_DIR: input.stateDir } : process.env;
  const project = loadProject(input.cwd, env);
  const dir = join(project.stateDir, 'outbox');
  if (input.action === 'list') {
    if (!checkReadable(dir, 'folder', 'the outbox'))
      return { dir, action: 'list', pending: input.dead ? undefined : [], dead: [] };
    checkReadable(join(dir, JOURNAL_FILE), 'file', 'the outbox journal');
    const outbox = await openFileOutbox({ dir, readOnly: true });
    try {
      const report: OutboxReport = {
        dir,
        action: 'list',
        pending: input.dead ? undefined : await outbox.list('pending'),
        dead: await outbox.list('dead'),
      };
      const unreadable = outbox.stats().quarantined ?? 0;
      if (unreadable > 0) report.unreadable = unreadable;
      return report;
    } finally {
      await outbox.close();
    }
  }
  let outbox: Awaited<ReturnType<typeof openFileOutbox>>;
  try {
    outbox = await openFileOutbox({ dir });
  } catch (error) {
    if (error instanceof OutboxLockedError) {
      throw new CliError(`the bridge (pid ${error.pid}) is using this outbox`, {
        hint: `stop it first, then run \`custom-channel outbox ${input.action}\` again (if no bridge runs, delete ${error.lockPath})`,
      });
    }
    throw error;
  }
  try {
    if (input.action === 'retry') {
      const count = await outbox.retry(input.id);
      if (input.id && count === 0) {
        throw new CliError(`no dead letter with id ${input.id}`, { hint: 'see `custom-channel outbox list --dead`' });
      }
      return { dir, action: 'retry', count };
    }
    return { dir, action: 'purge', count: await outbox.purge(input.pending ? 'pending' : 'dead') };
  } finally {
    await outbox.close();
  }
}
