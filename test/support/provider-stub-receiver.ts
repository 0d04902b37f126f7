/**
 * A webhook receiver for provider-stub tests: it records what the stub pushes and answers
 * through the adapter's own webhook handler, so the stub is checked against the adapter the
 * template ships, before (and besides) the bridge.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Adapter, AdapterContext, BridgeEvent, ProviderRequest } from '../../src/bridge/adapter.js';

export interface Received {
  request: ProviderRequest;
  status: number;
  events: BridgeEvent[];
}

async function toProviderRequest(req: IncomingMessage): Promise<ProviderRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks);
  const url = new URL(req.url ?? '/', 'http://receiver');
  const type = req.headers['content-type'] ?? '';
  const text = rawBody.toString('utf8');
  const body = /json/.test(type)
    ? JSON.parse(text)
    : /x-www-form-urlencoded/.test(type)
      ? Object.fromEntries(new URLSearchParams(text))
      : text;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  return {
    method: req.method ?? 'POST',
    path: url.pathname,
    headers,
    query: Object.fromEntries(url.searchParams),
    rawBody,
    body,
  };
}

/** Starts a receiver on 127.0.0.1 that runs `adapter`'s webhooks with `ctx`. */
export async function startReceiver(adapter: Adapter, ctx: () => AdapterContext) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const request = await toProviderRequest(req);
      const hook = adapter.webhooks.find((h) => h.path === request.path);
      let status = 404;
      let events: BridgeEvent[] = [];
      if (hook) {
        if (hook.verify && !(await hook.verify(request, ctx()))) status = 401;
        else {
          const result = await hook.handle(request, ctx());
          events = result.events;
          status = result.reply?.status ?? 200;
        }
      }
      received.push({ request, status, events });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An adapter context over real fetch and the given env. */
export function buildAdapterContext(
  env: Record<string, string | undefined>,
  idType: 'phone' | 'custom',
): AdapterContext {
  const noop = () => {};
  return {
    channel: { channelId: 'stub-channel', idType },
    env,
    log: { debug: noop, info: noop, warn: noop, error: noop },
    fetch,
    now: Date.now,
    signal: new AbortController().signal,
  };
}
