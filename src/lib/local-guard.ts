/**
 * What every local server (inspector, emulator, mock provider, provider stub) checks before it
 * answers, so that a web page in the user's browser cannot drive it:
 *
 * - **Host** must be a loopback name (`localhost`, `127.0.0.1`, `[::1]`), the address the server
 *   listens on, or a name the user configured (a tunnel or proxy in front of it). A page on
 *   `evil.example` whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends `Host: evil.example`.
 * - **Origin**: a write (anything but GET/HEAD/OPTIONS) that a browser sends from another origin
 *   is refused (CSRF); `Origin: null` (sandboxed frames, file:// pages) too. Programs that send
 *   no Origin (the bridge, curl, tests) are unaffected.
 *
 * The bridge is deliberately not guarded: it must accept a tunnel's Host and any provider.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface LocalGuardOptions {
  /** The interface the server listens on (default 127.0.0.1). */
  host?: string;
  /** More Host names to accept, e.g. a tunnel's `abc.loca.lt` (`--allow-host`). Ports are ignored. */
  allowedHosts?: readonly string[];
}

export interface GuardRefusal {
  status: 403;
  message: string;
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** `Example.com:3000` -> `example.com`, `[::1]:80` -> `::1`. */
export function hostnameOf(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']'));
  const colon = value.lastIndexOf(':');
  // A bare IPv6 address has several colons and no port.
  return colon !== -1 && value.indexOf(':') === colon ? value.slice(0, colon) : value;
}

/** Host names from a list such as `--allow-host a.loca.lt,b.example` (URLs accepted too). */
export function parseAllowedHosts(values: readonly string[] | string | undefined): string[] {
  const list = typeof values === 'string' ? [values] : (values ?? []);
  return list
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean)
    .map((value) => hostnameOf(/^[a-z]+:\/\//i.test(value) ? new URL(value).host : value));
}

/**
 * Builds the check; `undefined` means "let it through".
 * @example buildLocalGuard({})({ method: 'POST', host: 'evil.example:80' }) // { status: 403, ... }
 */
export function buildLocalGuard(
  options: LocalGuardOptions = {},
): (request: { method: string; host?: string; origin?: string; fetchSite?: string }) => GuardRefusal | undefined {
  const bind = hostnameOf(options.host ?? '127.0.0.1');
  const allowed = new Set([...LOOPBACK, ...parseAllowedHosts(options.allowedHosts)]);
  if (!WILDCARD.has(bind)) allowed.add(bind);
  // Bound to every interface: the machine's own addresses are fine (an IP literal cannot be
  // re-pointed by DNS); names still have to be configured.
  const anyAddress = WILDCARD.has(bind);
  return (request) => {
    const hostname = hostnameOf(request.host ?? '');
    if (!hostname || !(allowed.has(hostname) || (anyAddress && isIP(hostname) !== 0))) {
      return {
        status: 403,
        message: `Host ${JSON.stringify(request.host ?? '')} refused: use http://127.0.0.1 (or allow the name with --allow-host)`,
      };
    }
    if (SAFE_METHODS.has(request.method.toUpperCase())) return undefined;
    if (request.fetchSite === 'cross-site') return { status: 403, message: 'cross-site requests are refused' };
    if (request.origin === undefined) return undefined;
    let originHost: string | undefined;
    try {
      originHost = new URL(request.origin).host.toLowerCase();
    } catch {
      originHost = undefined;
    }
    if (originHost !== (request.host ?? '').toLowerCase()) {
      return { status: 403, message: `cross-origin request from ${request.origin} refused` };
    }
    return undefined;
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The guard's inputs from Node request headers. */
export function guardInput(method: string, headers: Record<string, string | string[] | undefined>) {
  return {
    method,
    host: header(headers.host),
    origin: header(headers.origin),
    fetchSite: header(headers['sec-fetch-site']),
  };
}

/**
 * Wires the guard into a Fastify server as its first hook; refusals answer
 * `{ "error": { "message" } }` with 403.
 * @example guardLocalServer(app, { host: options.host, allowedHosts: options.allowedHosts })
 */
export function guardLocalServer(app: FastifyInstance, options: LocalGuardOptions = {}): void {
  const check = buildLocalGuard(options);
  app.addHook('onRequest', async (request, reply) => {
    const refusal = check(guardInput(request.method, request.headers));
    if (refusal) return reply.code(refusal.status).send({ error: { message: refusal.message } });
  });
}
