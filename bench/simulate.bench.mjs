// `simulate --all` wall time for the built-in catalogue. Two measurements:
//  1. the engine alone, against a minimal correct integration server in this process
//     (baseline: the same requests sent with a bare fetch loop);
//  2. the real command in a freshly scaffolded generic-http project (spawned bin; starts the
//     emulator, the bridge and the mock provider, and waits for the events): target < 2 s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulate } from '../dist/index.js';
import { median, report } from './lib.mjs';

const TOKEN = 'bench-token-0123456789abcdef';
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', () => {
    const send = (status, value) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: { message: 'bad token' } });
    try {
      const parsed = JSON.parse(body);
      const ok = ['text', 'attachment', 'location', 'quick_reply', 'custom_payload'].includes(parsed.message?.type);
      return ok ? send(200, { mId: `m-${Date.now()}` }) : send(400, { error: { message: 'bad type' } });
    } catch {
      return send(400, { error: { message: 'not JSON' } });
    }
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const target = `http://127.0.0.1:${server.address().port}`;

const runs = Number(process.env.BENCH_RUNS ?? 15);
const engine = [];
const bare = [];
const env = { ...process.env, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'bench-sim-')) };
for (let i = 0; i < runs; i += 1) {
  let start = performance.now();
  const result = await runSimulate({ all: true, target, token: TOKEN, env });
  engine.push(performance.now() - start);
  if (!result.ok) throw new Error('simulate failed against the correct bench server');
  start = performance.now();
  for (let n = 0; n < result.cases.length; n += 1) {
    const r = await fetch(`${target}/message`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(result.cases[n].request.body),
    });
    await r.text();
  }
  bare.push(performance.now() - start);
}
server.close();
const engineMs = median(engine);
const bareMs = median(bare);
report('simulate --all engine vs minimal server (12 cases)', engineMs, 'ms', { ratio: engineMs / bareMs });
report('bare fetch loop, same requests (baseline)', bareMs, 'ms');

// The real command in a scaffolded generic-http project.
const folder = mkdtempSync(join(tmpdir(), 'bench-sim-project-'));
try {
  const init = spawnSync(
    process.execPath,
    ['bin/custom-channel.js', 'init', join(folder, 'p'), '--template', 'generic-http', '--yes', '--no-install'],
    { env, encoding: 'utf8' },
  );
  if (init.status !== 0) {
    console.log(
      `simulate --all (scaffolded generic-http): not measured, init failed: ${init.stderr.trim().split('\n')[0]}`,
    );
  } else {
    const times = [];
    for (let i = 0; i < Math.min(runs, 5); i += 1) {
      const start = performance.now();
      const run = spawnSync(process.execPath, [join(process.cwd(), 'bin/custom-channel.js'), 'simulate', '--all'], {
        cwd: join(folder, 'p'),
        env,
        encoding: 'utf8',
      });
      times.push(performance.now() - start);
      if (run.status !== 0)
        throw new Error(`simulate --all failed in the scaffolded project:\n${run.stdout}${run.stderr}`);
    }
    // The first run transpiles the adapter (jiti, babel); later ones read its content-keyed cache.
    const [cold, ...warm] = times;
    const wall = median(warm.length ? warm : times);
    report('simulate --all wall time (scaffolded generic-http, spawned)', wall, 'ms', {
      target: '< 2000 ms',
      pass: wall < 2000,
    });
    report('simulate --all first run (cold transpile cache)', cold, 'ms', { target: '< 2000 ms', pass: cold < 2000 });
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
  rmSync(env.XDG_CONFIG_HOME, { recursive: true, force: true });
}
