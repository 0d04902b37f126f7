/**
 * `dev`'s flags -> typed options, checked once at the boundary. The tunnel choice is one of
 * localtunnel (default, optional own server and subdomain), a URL the user already has, or none.
 */
import { z } from 'zod';
import { usageError } from '../errors.js';
import { checkRedisUrl } from '../outbox/redis/url.js';
import { parseTunnelUrl } from '../tunnel/static.js';

export type TunnelChoice =
  | { kind: 'localtunnel'; host?: string; subdomain?: string }
  | { kind: 'url'; url: string }
  | { kind: 'none' };

export interface DevFlags {
  port?: string;
  host?: string;
  subdomain?: string;
  tunnelHost?: string;
  tunnelUrl?: string;
  /** commander's `--no-tunnel` sets this to false. */
  tunnel?: boolean;
  emulator?: boolean;
  /** commander's `--no-inspector` sets this to false. */
  inspector?: boolean;
  canaryInterval?: string;
  inspectorPort?: string;
  /** commander fills it from --redis or CUSTOM_CHANNEL_REDIS_URL. */
  redis?: string;
}

export interface DevCliOptions {
  port: number;
  host: string;
  tunnel: TunnelChoice;
  forceEmulator: boolean;
  /** Serve the inspector page (default true). */
  inspector: boolean;
  canaryIntervalMs: number;
  /** Preferred inspector port (default 4040; the next free one when taken; 0 any). */
  inspectorPort?: number;
  /** The shared Redis outbox instead of the file journal. */
  redisUrl?: string;
}

const PortSchema = z.coerce.number().int().min(0).max(65535);
// loca.lt's rule: 4 to 63 lowercase letters, digits and hyphens.
const SubdomainSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{3,62}$/);
const SecondsSchema = z.coerce.number().min(0.1).max(3600);

function httpUrl(flag: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // fall through
  }
  throw usageError(`${flag}: not an http(s) URL: ${value}`, `e.g. ${flag} https://tunnel.example.com`);
}

/**
 * @example parseDevFlags({ port: '0', tunnel: false }) // { port: 0, tunnel: { kind: 'none' }, ... }
 */
export function parseDevFlags(flags: DevFlags): DevCliOptions {
  const port = PortSchema.safeParse(flags.port ?? '3000');
  if (!port.success) throw usageError(`--port: not a port number: ${flags.port}`, 'use 0..65535 (0 picks a free port)');
  const inspectorPort = PortSchema.safeParse(flags.inspectorPort ?? '4040');
  if (!inspectorPort.success) {
    throw usageError(
      `--inspector-port: not a port number: ${flags.inspectorPort}`,
      'use 0..65535 (0 picks a free port; default 4040)',
    );
  }
  const interval = SecondsSchema.safeParse(flags.canaryInterval ?? '20');
  if (!interval.success)
    throw usageError(
      `--canary-interval: ${flags.canaryInterval} is not a number of seconds from 0.1 to 3600`,
      'e.g. --canary-interval 20',
    );
  if (flags.subdomain !== undefined && !SubdomainSchema.safeParse(flags.subdomain).success) {
    throw usageError(
      `--subdomain: ${flags.subdomain} is not a valid subdomain`,
      'use 4 to 63 lowercase letters, digits and hyphens, e.g. --subdomain acme-sms-dev',
    );
  }
  let tunnel: TunnelChoice;
  if (flags.tunnel === false) {
    if (flags.subdomain || flags.tunnelHost || flags.tunnelUrl)
      throw usageError('--no-tunnel cannot be combined with --subdomain, --tunnel-host or --tunnel-url');
    tunnel = { kind: 'none' };
  } else if (flags.tunnelUrl) {
    if (flags.subdomain || flags.tunnelHost)
      throw usageError(
        '--tunnel-url cannot be combined with --subdomain or --tunnel-host',
        'your own tunnel has its own URL',
      );
    tunnel = { kind: 'url', url: parseTunnelUrl(flags.tunnelUrl) };
  } else {
    tunnel = {
      kind: 'localtunnel',
      host: flags.tunnelHost ? httpUrl('--tunnel-host', flags.tunnelHost) : undefined,
      subdomain: flags.subdomain,
    };
  }
  return {
    port: port.data,
    host: flags.host ?? '127.0.0.1',
    tunnel,
    forceEmulator: flags.emulator === true,
    inspector: flags.inspector !== false,
    canaryIntervalMs: Math.round(interval.data * 1000),
    inspectorPort: inspectorPort.data,
    ...(flags.redis ? { redisUrl: checkRedisUrl(flags.redis) } : {}),
  };
}
