/** A stand-in integration server that records the mock provider's callbacks and checks signatures. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/mock-provider/protocol.js';

export interface SinkRequest {
  path: string;
  body: Record<string, unknown>;
  signed: boolean;
}

export interface CallbackSink {
  url: string;
  requests: SinkRequest[];
  /** Answer this status to the next `count` requests (default: 200 always). */
  failNext(status: number, count: number): void;
  close(): Promise<void>;
}

export async function startCallbackSink(secret: () => string): Promise<CallbackSink> {
  const requests: SinkRequest[] = [];
  let failures: { status: number; count: number } = { status: 200, count: 0 };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const signed = verifySignature(raw, req.headers['x-provider-signature'] as string | undefined, secret());
    if (failures.count > 0) {
      failures.count -= 1;
      res.writeHead(failures.status).end('{}');
      return;
    }
    requests.push({ path: req.url ?? '', body: JSON.parse(raw.toString('utf8')), signed });
    res.writeHead(signed ? 200 : 401, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(status, count) {
      failures = { status, count };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
