// The supervised tunnel on loopback, with the real localtunnel client and the loopback
// localtunnel-protocol server from the tests (loaded through jiti):
//  1. throughput of a small POST through the tunnel vs straight to the same server
//     (autocannon, 10 connections, 3 s each); target: far above respond.io's 20 requests/s;
//  2. time from a restarted tunnel server to a working new public URL (target < 10 s);
//  3. time for the canary to condemn a tunnel that never forwards and open a working one.
import { createServer } from 'node:http';
import autocannon from 'autocannon';
import { createJiti } from 'jiti';
import { createLocaltunnelOpener, startTunnelSupervisor } from '../dist/index.js';
import { report } from './lib.mjs';

const jiti = createJiti(import.meta.url);
const { startLocaltunnelServer } = await jiti.import('../test/support/localtunnel-server.ts');

const bridge = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"mId":"m-1"}'));
});
await new Promise((resolve) => bridge.listen(0, '127.0.0.1', resolve));
const port = bridge.address().port;

function load(url) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/message`,
        method: 'POST',
        body: '{"message":{"type":"text","text":"hi"}}',
        connections: 10,
        duration: 3,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}
function nextEvent(supervisor, predicate, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
    const off = supervisor.on((event) => {
      if (predicate(event)) {
        clearTimeout(timer);
        off();
        resolve(event);
      }
    });
  });
}

// 1. Throughput.
let lt = await startLocaltunnelServer({ maxConnCount: 10 });
let supervisor = startTunnelSupervisor({ opener: createLocaltunnelOpener({ host: lt.url }), port, canary: false });
const url = await supervisor.waitForUrl();
const direct = await load(`http://127.0.0.1:${port}`);
const tunnelled = await load(url);
const rps = tunnelled.requests.average;
report('tunnel throughput', rps, 'req/s', {
  ratio: rps / direct.requests.average,
  target: '>= 20 req/s (respond.io limit)',
  pass: rps >= 20 && tunnelled.non2xx === 0 && tunnelled.errors === 0,
});
report('tunnel p50 latency added', tunnelled.latency.p50 - direct.latency.p50, 'ms');

// 2. Recovery after the tunnel server restarts.
const portOfServer = lt.port;
await lt.close();
const startedAt = Date.now();
const reopened = nextEvent(supervisor, (e) => e.type === 'open');
lt = await startLocaltunnelServer({ port: portOfServer });
const event = await reopened;
const ok = (await fetch(`${event.url}/message`, { method: 'POST', body: '{}' })).ok;
report('tunnel recovery after server restart', Date.now() - startedAt, 'ms', {
  target: '< 10000 ms',
  pass: ok && Date.now() - startedAt < 10_000,
});
await supervisor.close();
await lt.close();

// 3. Canary: a tunnel that never forwards is replaced (interval 1 s, 2 failures of 1 s).
lt = await startLocaltunnelServer({ forward: false });
supervisor = startTunnelSupervisor({
  opener: createLocaltunnelOpener({ host: lt.url }),
  port,
  canary: { intervalMs: 1_000, timeoutMs: 1_000, failures: 2 },
});
await supervisor.waitForUrl();
lt.forward = true;
const canaryStart = Date.now();
await nextEvent(supervisor, (e) => e.type === 'canary-ok');
report('stalled tunnel replaced after', Date.now() - canaryStart, 'ms', {
  target: '< 5000 ms with a 1 s canary',
  pass: Date.now() - canaryStart < 5_000,
});
await supervisor.close();
await lt.close();
await new Promise((resolve) => bridge.close(resolve));
