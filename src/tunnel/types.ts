/**
 * The tunnel behind one small interface, so localtunnel is one file and a second provider
 * (ngrok, cloudflared, a URL the user already has) is a second file.
 */

/** A public URL that forwards to the local bridge. */
export interface Tunnel {
  /** Public base URL without a trailing slash, e.g. `https://quiet-fox-12.loca.lt`. */
  readonly url: string;
  /** The subdomain the provider assigned, when it has such a thing (asked for again on reopen). */
  readonly subdomain?: string;
  /** Idempotent; resolves once the tunnel's sockets are closed. */
  close(): Promise<void>;
}

export interface TunnelOpenOptions {
  /** Local port of the bridge. */
  port: number;
  /** Local host of the bridge (default `127.0.0.1`). */
  localHost?: string;
  /** Subdomain to ask for; providers without subdomains ignore it. */
  subdomain?: string;
  /** Aborted when the caller gives up on opening (timeout, shutdown). */
  signal?: AbortSignal;
  /**
   * Called at most once when the provider reports the open tunnel broken (socket error,
   * server gone). The supervisor then replaces the tunnel.
   */
  onDown?: (reason: Error) => void;
}

/** Opens one tunnel; rejects on failure (never retries by itself: the supervisor does). */
export type TunnelOpener = (options: TunnelOpenOptions) => Promise<Tunnel>;

/** A registration refused by the tunnel server (e.g. subdomain taken); retrying as-is may not help. */
export class TunnelRefusedError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'TunnelRefusedError';
    this.status = status;
  }
}

/** Strips trailing slashes so `${url}/message` never doubles them. */
export function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
