/** The durability verdict on Redis settings (pure), and the URL rules of --redis. */
import { describe, expect, it } from 'vitest';
import { judgeDurability, type RedisSettings } from '../src/outbox/redis/durability.js';
import { checkRedisUrl, describeRedisUrl } from '../src/outbox/redis/url.js';

const safe: RedisSettings = {
  maxmemory: 0,
  maxmemoryPolicy: 'noeviction',
  appendonly: true,
  appendfsync: 'always',
  source: 'config',
};

describe('judgeDurability', () => {
  it.each([
    ['AOF with fsync always, no memory limit', safe, 0, 0],
    ['a memory limit with noeviction', { ...safe, maxmemory: 1e9 }, 0, 0],
    ['allkeys-lru with a memory limit', { ...safe, maxmemory: 1e9, maxmemoryPolicy: 'allkeys-lru' }, 1, 0],
    ['an eviction policy without a memory limit (never evicts)', { ...safe, maxmemoryPolicy: 'allkeys-lru' }, 0, 0],
    ['no append-only file', { ...safe, appendonly: false, snapshots: true }, 1, 0],
    ['appendfsync everysec', { ...safe, appendfsync: 'everysec' }, 0, 1],
    ['nothing readable', { source: 'none' } as RedisSettings, 0, 1],
  ])('%s', (_name, settings, problems, warnings) => {
    const verdict = judgeDurability(settings);
    expect(verdict.problems.length, verdict.problems.join('; ')).toBe(problems);
    expect(verdict.warnings.length, verdict.warnings.join('; ')).toBe(warnings);
  });
});

describe('--redis URLs', () => {
  it('accepts redis:// and rediss://, refuses anything else naming the flag', () => {
    expect(checkRedisUrl('redis://127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379/0');
    expect(checkRedisUrl('rediss://cache.example.com:6380')).toBe('rediss://cache.example.com:6380');
    expect(() => checkRedisUrl('http://127.0.0.1:6379')).toThrow(/--redis: not a Redis URL/);
    expect(() => checkRedisUrl('127.0.0.1:6379')).toThrow(/--redis: not a Redis URL/);
  });

  it('never prints the password', () => {
    expect(describeRedisUrl('redis://:s3cret-pass@10.0.0.5:6379/2')).toBe('redis://:****@10.0.0.5:6379/2');
    expect(describeRedisUrl('redis://user:s3cret@h:1')).not.toContain('s3cret');
  });
});
