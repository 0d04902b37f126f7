// Webhook intake throughput of the emulator (rate limiting off: auth, contract validation,
// storage and events all on) as a ratio to a bare Fastify route that parses the same JSON and
// answers 200, measured in the same run. The servers run in a child process (this same file
// with --serve) so autocannon does not share their event loop. Target: ratio >= 0.6.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const DURATION_S = 2;
const ROUNDS = 3;
const CONNECTIONS = 10;

if (process.argv[2] === '--serve') {
  const { default: Fastify } = await import('fastify');
  const { startEmulator } = await import('../dist/index.js');
  const stateDir = await mkdtemp(join(tmpdir(), 'emulator-bench-'));
  const bare = Fastify();
  bare.post('/custom/channel/webhook/', async () => ({ status: 'ok' }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const emulator = await startEmulator({ stateDir, rateLimitPerSecond: false });
  process.stdout.write(
    `${JSON.stringify({
      bare: `http://127.0.0.1:${bare.server.address().port}/custom/channel/webhook/`,
      emulator: emulator.webhookUrl,
      token: emulator.channel.token,
      channelId: emulator.channel.channelId,
    })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await Promise.all([bare.close(), emulator.close()]);
    await rm(stateDir, { recursive: true, force: true });
    process.exit(0);
  });
} else {
  const { default: autocannon } = await import('autocannon');
  const { pairedRatio, report, spread } = await import('./lib.mjs');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const first = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const target = JSON.parse(first);
  let n = 0;
  const load = (url) =>
    new Promise((resolve, reject) => {
      autocannon(
        {
          url,
          method: 'POST',
          connections: CONNECTIONS,
          duration: DURATION_S,
          headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
          requests: [
            {
              setupRequest(request) {
                n += 1;
                request.body = JSON.stringify({
                  channelId: target.channelId,
                  contactId: `+6017${String(n % 1000).padStart(7, '0')}`,
                  events: [
                    {
                      type: 'message',
                      mId: `bench-${n}`,
                      timestamp: Date.now(),
                      message: { type: 'text', text: 'Hello there' },
                    },
                  ],
                  contact: { firstName: 'Bench' },
                });
                return request;
              },
            },
          ],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
  const rates = { bare: [], emulator: [] };
  let rejected = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const name of ['bare', 'emulator']) {
      const result = await load(target[name]);
      rates[name].push(result.requests.average);
      if (name === 'emulator') rejected += result.non2xx + result.errors;
    }
  }
  child.stdin.end();
  const bare = spread(rates.bare);
  const emulator = spread(rates.emulator);
  const ratio = pairedRatio(rates.emulator, rates.bare);
  report('bare Fastify route (baseline)', bare.median, 'req/s', { range: [bare.min, bare.max] });
  report('emulator webhook intake, rate limit off', emulator.median, 'req/s', {
    range: [emulator.min, emulator.max],
    ratio: ratio.median,
    ratioRange: [ratio.min, ratio.max],
    target: '>= 0.6',
    pass: ratio.median >= 0.6,
  });
  if (rejected > 0)
    console.log(`emulator answered ${rejected} request(s) with non-2xx or errors: the load is not what was meant`);
}
