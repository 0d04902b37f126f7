/**
 * The ioredis client of the Redis outbox, set to fail fast: no offline queue (a command while
 * Redis is down rejects at once, so the bridge answers providers 503 instead of holding their
 * requests), a per-command timeout (a Redis that hangs looks down too), and quick reconnects.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { CliError, messageOf } from '../../errors.js';
import { describeRedisUrl } from './url.js';

export interface ConnectOptions {
  /** How long one command may take before it counts as a failure (default 3,000 ms). */
  commandTimeoutMs?: number;
  /** How long to wait for the first connection (default 5,000 ms). */
  connectTimeoutMs?: number;
}

/**
 * Connects and waits until Redis answers; a CliError naming the URL (password masked) otherwise.
 * @example const redis = await connectRedis('redis://127.0.0.1:6379')
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<Redis> {
  const connectTimeout = options.connectTimeoutMs ?? 5000;
  const settings: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 3000,
    connectTimeout: Math.min(connectTimeout, 2000),
    lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * times, 500),
  };
  const redis = new Redis(url, settings);
  // Connection errors are reported through commands and health(); without a listener ioredis logs them.
  redis.on('error', () => {});
  const deadline = Date.now() + connectTimeout;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
      else await new Promise((resolve) => setTimeout(resolve, 100));
      if (redis.status === 'ready') {
        await redis.ping();
        return redis;
      }
    } catch (error) {
      lastError = error;
      if (/NOAUTH|WRONGPASS|invalid password|ERR AUTH/i.test(messageOf(error))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  redis.disconnect();
  throw new CliError(`cannot reach Redis at ${describeRedisUrl(url)}: ${messageOf(lastError ?? 'timed out')}`, {
    hint: 'check --redis / CUSTOM_CHANNEL_REDIS_URL and that redis-server is running',
  });
}
