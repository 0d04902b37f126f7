/**
 * `custom-channel/redis`: the outbox and the send queue on Redis, for a bridge built by hand
 * (`buildBridge({ outbox, sendQueue: { queue } })`) or for tools that inspect a running fleet.
 * `start --redis` and `buildBridge({ redisUrl })` open both without this import.
 */
export { openRedisOutbox, RedisOutbox, type RedisOutboxOptions } from './outbox/redis-outbox.js';
export { openRedisSendQueue, RedisSendQueue, type RedisSendQueueOptions } from './send-queue/redis-queue.js';
