/**
 * Deliberately broken integration servers for `simulate` tests, each with one classic fault,
 * plus a correct one as the control. Plain node:http, on 127.0.0.1 port 0.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const brokenKinds = ['correct', 'no-mid', 'hangs-on-wrong-token', 'html-stack-trace'] as const;
export type BrokenKind = (typeof brokenKinds)[number];

export interface TestServer {
  url: string;
  token: string;
  /** Requests received, in order. */
  requests: Array<{ path: string; auth?: string; body: string }>;
  close(): Promise<void>;
}

const TYPES = new Set(['text', 'attachment', 'location', 'quick_reply', 'custom_payload']);

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** What Express's default error handler prints in development. */
function htmlStackTrace(res: ServerResponse, message: string): void {
  const stack = `Error: ${message}\n    at handleMessage (/srv/app/server.js:42:11)\n    at Layer.handle (/srv/app/node_modules/express/lib/router/layer.js:95:5)`;
  res
    .writeHead(500, { 'content-type': 'text/html; charset=utf-8' })
    .end(`<!DOCTYPE html><html><head><title>Error</title></head><body><pre>${stack}</pre></body></html>`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts a server with one fault:
 * - `no-mid`: 200 `{ "ok": true }` for a valid message (no mId);
 * - `hangs-on-wrong-token`: never answers a wrong or missing token;
 * - `html-stack-trace`: every error is a 500 HTML page with a stack trace;
 * - `correct`: none of these.
 */
export async function startBrokenServer(kind: BrokenKind, token = 'test-token-0123456789abcdef'): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  let counter = 0;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    requests.push({ path: req.url ?? '', auth: req.headers.authorization, body });
    const fail = (status: number, message: string) =>
      kind === 'html-stack-trace' ? htmlStackTrace(res, message) : json(res, status, { error: { message } });
    if (req.method !== 'POST' || req.url !== '/message') return fail(404, 'not found');
    if (req.headers.authorization !== `Bearer ${token}`) {
      if (kind === 'hangs-on-wrong-token') return; // the classic: no answer at all
      return fail(401, 'invalid token');
    }
    let parsed: { message?: { type?: string } };
    try {
      parsed = JSON.parse(body);
    } catch {
      return fail(400, 'body is not JSON');
    }
    if (!parsed.message?.type || !TYPES.has(parsed.message.type)) return fail(400, 'unsupported message type');
    if (kind === 'no-mid') return json(res, 200, { ok: true });
    counter += 1;
    return json(res, 200, { mId: `broken-${counter}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
