/**
 * localtunnel behind the `Tunnel` interface. The only file that knows localtunnel.
 *
 * We register with the tunnel server ourselves (fetch, abortable) and hand the answer to
 * localtunnel's client for the data sockets, because its own `open()` retries the
 * registration every second forever and cannot be stopped: a timed-out attempt would leak
 * a loop that later opens an orphan tunnel. The `Tunnel` class and its `_init`/`_getInfo`
 * hooks are those of localtunnel 2.0.2, as kept by its maintained fork `@n8n/localtunnel` 3.0.0
 * (pinned exactly in package.json): the same client on axios 1.x, so a consumer install
 * resolves no vulnerable axios. The original `localtunnel` stays a devDependency: the tests'
 * reference client.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { type Tunnel, type TunnelOpener, type TunnelOpenOptions, TunnelRefusedError, trimUrl } from './types.js';

/** Dropped data sockets per second beyond which a tunnel counts as broken. */
const MAX_DROPS_PER_SECOND = 20;

/** The public localtunnel server. */
export const DEFAULT_LOCALTUNNEL_HOST = 'https://localtunnel.me';

const RegistrationSchema = z.object({
  id: z.string().min(1),
  url: z.string().min(1),
  port: z.number().int().positive(),
  ip: z.string().optional(),
  max_conn_count: z.number().int().positive().optional(),
  cached_url: z.string().optional(),
});
export type LocaltunnelRegistration = z.infer<typeof RegistrationSchema>;

interface LtClient extends EventEmitter {
  url?: string;
  closed: boolean;
  tunnelCluster?: EventEmitter;
  open(cb: (err?: Error) => void): void;
  close(): void;
}
type LtClientClass = new (
  opts: Record<string, unknown>,
) => LtClient & {
  _getInfo(body: LocaltunnelRegistration): unknown;
};

let clientClass: LtClientClass | undefined;
function loadClientClass(): LtClientClass {
  clientClass ??= createRequire(import.meta.url)('@n8n/localtunnel/lib/Tunnel.js') as LtClientClass;
  return clientClass;
}

/**
 * Asks the tunnel server for a tunnel: `GET {host}/?new` or `GET {host}/{subdomain}`.
 * @example await registerLocaltunnel('http://127.0.0.1:4000', 'my-bot') // { id, url, port, ... }
 */
export async function registerLocaltunnel(
  host: string,
  subdomain: string | undefined,
  signal?: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<LocaltunnelRegistration> {
  const endpoint = `${trimUrl(host)}/${subdomain ? encodeURIComponent(subdomain) : '?new'}`;
  const response = await fetchImpl(endpoint, { signal, headers: { accept: 'application/json' } });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message = (body as { message?: unknown } | undefined)?.message;
    throw new TunnelRefusedError(
      `tunnel server ${host} answered ${response.status}${typeof message === 'string' ? `: ${message}` : ''}`,
      response.status,
    );
  }
  const parsed = RegistrationSchema.safeParse(body);
  if (!parsed.success) throw new Error(`tunnel server ${host} sent an unexpected registration: ${text.slice(0, 200)}`);
  return parsed.data;
}

export interface LocaltunnelOptions {
  /** localtunnel server (default https://localtunnel.me); `--tunnel-host`. */
  host?: string;
  fetch?: typeof fetch;
}

/**
 * An opener for localtunnel. The tunnel counts as open once its first data socket
 * connects; a later socket error or refused reconnect calls `onDown`.
 * @example const tunnel = await createLocaltunnelOpener({ host })({ port: 3000 })
 */
export function createLocaltunnelOpener(options: LocaltunnelOptions = {}): TunnelOpener {
  const host = options.host ?? DEFAULT_LOCALTUNNEL_HOST;
  return (open) => openLocaltunnel(host, open, options.fetch);
}

async function openLocaltunnel(host: string, open: TunnelOpenOptions, fetchImpl?: typeof fetch): Promise<Tunnel> {
  const registration = await registerLocaltunnel(host, open.subdomain, open.signal, fetchImpl);
  open.signal?.throwIfAborted();
  const Client = loadClientClass();
  // Feed our registration to the client instead of letting it fetch (and retry forever).
  class RegisteredClient extends Client {
    _init(cb: (err: Error | null, info?: unknown) => void): void {
      cb(null, this._getInfo(registration));
    }
  }
  const client = new RegisteredClient({ host, port: open.port, local_host: open.localHost ?? '127.0.0.1' });
  const sockets = new Set<Socket>();
  let down = false;
  const reportDown = (reason: Error) => {
    if (down || client.closed) return;
    down = true;
    open.onDown?.(reason);
  };
  // Without an `error` listener the client crashes the process when the server goes away.
  client.on('error', (error: Error) => reportDown(error));

  const close = async () => {
    if (!client.closed) client.close();
    await Promise.all(
      [...sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.destroyed) resolve();
            else {
              socket.once('close', () => resolve());
              socket.destroy();
            }
          }),
      ),
    );
  };

  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      void close();
      reject(open.signal?.reason ?? new Error('aborted'));
    };
    const onError = (error: Error) => {
      open.signal?.removeEventListener('abort', onAbort);
      void close();
      reject(error);
    };
    open.signal?.addEventListener('abort', onAbort, { once: true });
    client.once('error', onError);
    client.once('url', () => {
      open.signal?.removeEventListener('abort', onAbort);
      client.removeListener('error', onError);
      resolve();
    });
    client.open((error) => {
      if (error) onError(error);
    });
    client.tunnelCluster?.on('open', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    // The client reopens a dropped socket at once, forever: a server that accepts and drops
    // every socket would spin it. Too many drops in a second count as a broken tunnel.
    let drops: number[] = [];
    client.tunnelCluster?.on('dead', () => {
      const now = Date.now();
      drops = drops.filter((time) => now - time < 1_000);
      drops.push(now);
      if (drops.length > MAX_DROPS_PER_SECOND) reportDown(new Error('the tunnel server keeps dropping our sockets'));
    });
  });

  return {
    url: trimUrl(registration.url),
    subdomain: registration.id,
    close,
  };
}
