/**
 * A load balancer in front of several bridges, as a deployment would have: each request goes
 * to the next live upstream in turn; an upstream that fails mid-request (killed) gives a 502
 * and is not retried (a POST may have been acted on), like a proxy's default.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobin {
  url: string;
  /** The upstreams; set an entry to undefined to take it out (a killed instance). */
  upstreams: Array<string | undefined>;
  /** Requests sent to each upstream, by index. */
  counts: number[];
  close(): Promise<void>;
}

export async function startRoundRobin(upstreams: Array<string | undefined>): Promise<RoundRobin> {
  let next = 0;
  const counts = upstreams.map(() => 0);
  const server = createServer((incoming, outgoing) => {
    const live = upstreams.map((url, i) => [url, i] as const).filter(([url]) => url !== undefined);
    if (live.length === 0) {
      outgoing.writeHead(502).end('no upstream');
      return;
    }
    const [base, index] = live[next % live.length];
    next += 1;
    counts[index] += 1;
    const target = new URL(incoming.url ?? '/', base);
    const forward = httpRequest(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
      answer.on('error', () => outgoing.destroy());
    });
    forward.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502).end('upstream failed');
      else outgoing.destroy();
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    upstreams,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
