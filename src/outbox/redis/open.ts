/**
 * Opening a Redis a store of acknowledged work (the outbox, the send queue) may rely on:
 * connect (or take the caller's client), read its settings, refuse one that would lose what
 * it acknowledged (durability.ts) unless `allowVolatile`, and hand the warnings on.
 */
import type { Redis } from 'ioredis';
import { CliError } from '../../errors.js';
import { connectRedis } from './connect.js';
import { judgeDurability, readRedisSettings } from './durability.js';
import { describeRedisUrl } from './url.js';

export interface OpenRedisOptions {
  /** `redis://[:password@]host:port[/db]`; or pass `redis` (then the caller closes it). */
  url?: string;
  redis?: Redis;
  /** Start even if the Redis settings would lose acknowledged work (default false). */
  allowVolatile?: boolean;
  /** Warnings found at start (e.g. appendfsync everysec). */
  onWarning?: (message: string) => void;
}

/**
 * The checked client, and whether this call opened it (then the store closes it).
 * @example const { redis, own } = await openCheckedRedis({ url: 'redis://127.0.0.1:6379' }, 'openRedisOutbox')
 */
export async function openCheckedRedis(
  options: OpenRedisOptions,
  caller: string,
): Promise<{ redis: Redis; own: boolean }> {
  if (!options.redis && !options.url) throw new TypeError(`${caller}: pass url or redis`);
  const redis = options.redis ?? (await connectRedis(options.url as string));
  const where = options.url ? describeRedisUrl(options.url) : 'Redis';
  try {
    const verdict = judgeDurability(await readRedisSettings(redis));
    if (verdict.problems.length > 0 && !options.allowVolatile) {
      throw new CliError(`refusing ${where}: ${verdict.problems.join('; ')}`, {
        hint: 'fix the Redis settings (see README "Several instances on Redis"), then start again',
      });
    }
    for (const warning of [...verdict.problems, ...verdict.warnings]) options.onWarning?.(`${where}: ${warning}`);
  } catch (error) {
    if (!options.redis) redis.disconnect();
    throw error;
  }
  return { redis, own: !options.redis };
}
