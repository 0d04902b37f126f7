/**
 * Will this Redis keep what it acknowledged? Read from `CONFIG GET` (or `INFO` where CONFIG is
 * disabled, as on several managed services). Refused: an eviction policy with a memory limit
 * (Redis would silently drop queued events or dedupe keys under memory pressure) and no
 * append-only file (a restart or crash drops what came after the last snapshot, if any).
 * `appendfsync everysec` is accepted with a warning: a power loss (not a Redis crash: the
 * page cache survives that) can take up to one second of acknowledged events.
 */

export interface RedisSettings {
  maxmemory?: number;
  maxmemoryPolicy?: string;
  appendonly?: boolean;
  appendfsync?: string;
  /** RDB snapshots configured (`save` not empty). */
  snapshots?: boolean;
  /** Where the settings came from; 'none' when neither CONFIG nor INFO answered. */
  source: 'config' | 'info' | 'none';
}

export interface DurabilityVerdict {
  /** Why this Redis would lose acknowledged events: start refuses. */
  problems: string[];
  /** Weaker guarantees worth a log line. */
  warnings: string[];
}

/** The few commands the check needs (an ioredis client fits). */
export interface SettingsSource {
  config(op: 'GET', name: string): Promise<unknown>;
  info(section: string): Promise<string>;
}

function fromConfigReply(reply: unknown): Record<string, string> {
  const flat = Array.isArray(reply) ? (reply as string[]) : [];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

function fromInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return out;
}

/** Reads the settings that matter for durability. */
export async function readRedisSettings(redis: SettingsSource): Promise<RedisSettings> {
  try {
    const config = {
      ...fromConfigReply(await redis.config('GET', 'maxmemory*')),
      ...fromConfigReply(await redis.config('GET', 'append*')),
      ...fromConfigReply(await redis.config('GET', 'save')),
    };
    return {
      maxmemory: Number(config.maxmemory ?? '0'),
      maxmemoryPolicy: config['maxmemory-policy'],
      appendonly: config.appendonly === 'yes',
      appendfsync: config.appendfsync,
      snapshots: Boolean(config.save?.trim()),
      source: 'config',
    };
  } catch {
    // CONFIG renamed or disabled: INFO still tells most of it.
  }
  try {
    const info = { ...fromInfo(await redis.info('memory')), ...fromInfo(await redis.info('persistence')) };
    return {
      maxmemory: info.maxmemory === undefined ? undefined : Number(info.maxmemory),
      maxmemoryPolicy: info.maxmemory_policy,
      appendonly: info.aof_enabled === undefined ? undefined : info.aof_enabled === '1',
      source: 'info',
    };
  } catch {
    return { source: 'none' };
  }
}

/**
 * Judges the settings.
 * @example judgeDurability({ maxmemory: 1e9, maxmemoryPolicy: 'allkeys-lru', appendonly: true, source: 'config' }).problems.length // 1
 */
export function judgeDurability(settings: RedisSettings): DurabilityVerdict {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (settings.source === 'none') {
    warnings.push('could not read the Redis settings (CONFIG and INFO refused): durability is not verified');
    return { problems, warnings };
  }
  const policy = settings.maxmemoryPolicy;
  if (settings.maxmemory && settings.maxmemory > 0 && policy && policy !== 'noeviction') {
    problems.push(
      `maxmemory-policy is ${policy} with maxmemory ${settings.maxmemory}: Redis would evict queued events; set maxmemory-policy noeviction`,
    );
  }
  if (settings.appendonly === false) {
    const since = settings.snapshots ? 'since the last snapshot' : 'queued';
    problems.push(`appendonly is off: a Redis restart or crash loses every event ${since}; set appendonly yes`);
  } else if (settings.appendfsync && settings.appendfsync !== 'always') {
    warnings.push(
      `appendfsync is ${settings.appendfsync}: a power loss or kernel crash may lose up to 1 s of acknowledged events (set appendfsync always to rule it out)`,
    );
  }
  if (settings.source === 'info' && settings.appendonly !== false) {
    warnings.push('CONFIG is disabled: appendfsync could not be checked (appendfsync always is recommended)');
  }
  return { problems, warnings };
}
