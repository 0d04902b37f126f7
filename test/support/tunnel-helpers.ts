/** A stand-in bridge (health + echo) and waiting helpers for the tunnel tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TunnelEvent, TunnelSupervisor } from '../../src/tunnel/index.js';

export interface FakeBridge {
  port: number;
  hits: string[];
  close(): Promise<void>;
}

/** `/health` -> 200 `{ok:true}`, anything else -> 200 echo of method, path and body. */
export async function startFakeBridge(): Promise<FakeBridge> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/health' ? { ok: true } : { method: req.method, path: req.url, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves with the first event matching `predicate`, or rejects after `timeoutMs`. */
export function nextEvent(
  supervisor: TunnelSupervisor,
  predicate: (event: TunnelEvent) => boolean,
  timeoutMs = 10_000,
): Promise<TunnelEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching tunnel event in ${timeoutMs} ms`));
    }, timeoutMs);
    const off = supervisor.on((event) => {
      if (predicate(event)) {
        clearTimeout(timer);
        off();
        resolve(event);
      }
    });
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
