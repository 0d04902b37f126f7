/** Redis URLs: checked at the boundary, printed without their password. No ioredis import here. */
import { CliError } from '../../errors.js';

/** The URL as safe to print: the password masked. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unreadable Redis URL>';
  }
}

/** Checks `redis://` / `rediss://` syntax; throws a CliError naming the setting. */
export function checkRedisUrl(url: string, flag = '--redis'): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // fall through
  }
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || !parsed.hostname) {
    throw new CliError(`${flag}: not a Redis URL: ${describeRedisUrl(url)}`, {
      hint: `e.g. ${flag} redis://127.0.0.1:6379/0 (rediss:// for TLS)`,
      exitCode: 2,
    });
  }
  return url;
}
