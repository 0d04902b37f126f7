/**
 * "Bring your own URL": a tunnel the user already runs (ngrok, cloudflared, a reverse proxy).
 * We cannot reopen it, but the supervisor's canary still tells when it stops forwarding.
 */
import { usageError } from '../errors.js';
import { type TunnelOpener, trimUrl } from './types.js';

/** Checks a `--tunnel-url` value: an absolute http(s) URL; returns it without trailing slashes. */
export function parseTunnelUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(
      `--tunnel-url: not a URL: ${value}`,
      'pass the public https URL of your tunnel, e.g. https://abc.ngrok.app',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw usageError(`--tunnel-url: must be http(s), got ${url.protocol}`, 'e.g. https://abc.ngrok.app');
  }
  if (url.search || url.hash) throw usageError('--tunnel-url: must not have a query or fragment');
  return trimUrl(url.href);
}

/**
 * An opener that always "opens" the given URL.
 * @example createStaticOpener('https://abc.ngrok.app')
 */
export function createStaticOpener(url: string): TunnelOpener {
  const publicUrl = trimUrl(url);
  return async () => ({ url: publicUrl, close: async () => {} });
}
