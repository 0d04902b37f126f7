/**
 * A small localtunnel-protocol server on 127.0.0.1, for tests with the real localtunnel client
 * (no server on npm runs on Node 20). Protocol, as in docs/dependencies.md:
 * - registration: `GET /?new` or `GET /<subdomain>` -> `{ id, url, port, max_conn_count }`;
 * - data: the client opens `max_conn_count` TCP sockets to `port`; public requests are written
 *   into them as raw HTTP/1.1 and the responses piped back.
 * Each tunnel gets its own public HTTP port (no wildcard DNS on loopback); asking again for the
 * same subdomain keeps that port, so the URL stays the same, as on loca.lt.
 * `forward: false` makes new tunnels that accept the client's sockets but never forward:
 * public requests hang, like the "looks connected, delivers nothing" failures of real tunnels.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

/** Hands tunnel sockets to node's HTTP client: a request takes an idle socket or waits for one. */
class TunnelAgent extends http.Agent {
  readonly #idle: net.Socket[] = [];
  readonly #waiting: Array<(err: Error | null, socket: net.Socket) => void> = [];
  readonly sockets_: Set<net.Socket> = new Set();
  #closed = false;

  constructor() {
    super({ keepAlive: true, maxFreeSockets: 1_000 });
  }

  addSocket(socket: net.Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.sockets_.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      this.sockets_.delete(socket);
      const i = this.#idle.indexOf(socket);
      if (i >= 0) this.#idle.splice(i, 1);
    });
    const waiter = this.#waiting.shift();
    if (waiter) waiter(null, socket);
    else this.#idle.push(socket);
  }

  override createConnection(
    _options: http.ClientRequestArgs,
    callback?: (err: Error | null, socket: net.Socket) => void,
  ): net.Socket | undefined {
    if (!callback) throw new Error('TunnelAgent needs the callback form of createConnection');
    if (this.#closed) {
      callback(new Error('tunnel closed'), undefined as unknown as net.Socket);
      return undefined;
    }
    const socket = this.#idle.shift();
    if (socket) callback(null, socket);
    else this.#waiting.push(callback);
    return undefined;
  }

  override destroy(): void {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0))
      waiter(new Error('tunnel closed'), undefined as unknown as net.Socket);
    for (const socket of this.sockets_) socket.destroy();
    super.destroy();
  }
}

interface Registration {
  id: string;
  forward: boolean;
  agent: TunnelAgent;
  data: net.Server;
  dataPort: number;
}

interface PublicSide {
  server: http.Server;
  port: number;
  current?: Registration;
}

export interface LocaltunnelServerOptions {
  /** Registration port (0 = any); pass the old port to "restart" a server. */
  port?: number;
  /** Sockets each client should open (default 2). */
  maxConnCount?: number;
  /** Mode for new registrations (default true). Can be changed later on the handle. */
  forward?: boolean;
}

export interface PublicRequest {
  id: string;
  method: string;
  path: string;
}

export interface LocaltunnelTestServer {
  /** `http://127.0.0.1:<port>`: pass as `--tunnel-host`. */
  readonly url: string;
  readonly port: number;
  /** Mode for registrations from now on. */
  forward: boolean;
  /** Accept client data sockets and close them at once (a server refusing extra sockets). */
  dropSockets: boolean;
  /** Every registration request answered, in order. */
  readonly registrations: Array<{ id: string; requested?: string; url: string; forward: boolean }>;
  /** Requests that reached the public side. */
  readonly requests: PublicRequest[];
  /** Number of client data sockets connected now, over all tunnels. */
  connectedSockets(): number;
  /** Closes every server and socket (the tunnel server "dies"). */
  close(): Promise<void>;
}

const SUBDOMAIN = /^[a-z0-9][a-z0-9-]{2,62}$/;

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts the server.
 * @example const lt = await startLocaltunnelServer(); // dev --tunnel-host lt.url
 */
export async function startLocaltunnelServer(options: LocaltunnelServerOptions = {}): Promise<LocaltunnelTestServer> {
  const maxConnCount = options.maxConnCount ?? 2;
  const publicSides = new Map<string, PublicSide>();
  const registrations: LocaltunnelTestServer['registrations'] = [];
  const requests: PublicRequest[] = [];
  const stalled = new Set<http.ServerResponse>();
  let closed = false;

  async function openPublicSide(id: string): Promise<PublicSide> {
    const side: PublicSide = { server: http.createServer(), port: 0 };
    side.server.on('request', (req, res) => {
      requests.push({ id, method: req.method ?? 'GET', path: req.url ?? '/' });
      const reg = side.current;
      if (!reg) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such tunnel"}');
        return;
      }
      if (!reg.forward) {
        // Accept and never answer: only a probe with a timeout notices.
        stalled.add(res);
        res.once('close', () => stalled.delete(res));
        return;
      }
      const upstream = http.request(
        { agent: reg.agent, host: `${id}.tunnel`, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"message":"tunnel error"}');
      });
      req.pipe(upstream);
    });
    side.port = await listen(side.server);
    return side;
  }

  async function register(requested: string | undefined): Promise<Registration & { url: string }> {
    const id = requested ?? randomBytes(4).toString('hex');
    let side = publicSides.get(id);
    if (!side) {
      side = await openPublicSide(id);
      publicSides.set(id, side);
    }
    // The newest registration of a subdomain wins; the old one's sockets are dropped.
    if (side.current) closeRegistration(side.current);
    const agent = new TunnelAgent();
    const data = net.createServer((socket) => {
      if (handle.dropSockets) socket.destroy();
      else agent.addSocket(socket);
    });
    const dataPort = await listen(data);
    const reg: Registration = { id, forward: handle.forward, agent, data, dataPort };
    side.current = reg;
    const url = `http://127.0.0.1:${side.port}`;
    registrations.push({ id, requested, url, forward: reg.forward });
    return { ...reg, url };
  }

  function closeRegistration(reg: Registration) {
    reg.agent.destroy();
    reg.data.close();
  }

  const api = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const query = (req.url ?? '').includes('?new');
    const requested = path === '/' ? undefined : decodeURIComponent(path.slice(1));
    if (!query && !requested) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('localtunnel test server');
      return;
    }
    if (requested && !SUBDOMAIN.test(requested)) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          message: 'Invalid subdomain. Subdomains must be lowercase and between 4 and 63 alphanumeric characters.',
        }),
      );
      return;
    }
    try {
      const reg = await register(requested);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: reg.id, url: reg.url, port: reg.dataPort, max_conn_count: maxConnCount }));
    } catch (error) {
      res.writeHead(500).end(JSON.stringify({ message: String(error) }));
    }
  });
  const port = await listen(api, options.port);

  const handle: LocaltunnelTestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    forward: options.forward ?? true,
    dropSockets: false,
    registrations,
    requests,
    connectedSockets() {
      let n = 0;
      for (const side of publicSides.values()) n += side.current?.agent.sockets_.size ?? 0;
      return n;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const res of stalled) res.destroy();
      const servers: Array<net.Server> = [api];
      for (const side of publicSides.values()) {
        if (side.current) {
          closeRegistration(side.current);
          servers.push(side.current.data);
        }
        side.server.closeAllConnections();
        servers.push(side.server);
      }
      api.closeAllConnections();
      await Promise.all(
        servers.map(
          (server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
        ),
      );
    },
  };
  return handle;
}
