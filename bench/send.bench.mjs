// `send`'s own overhead beyond the scenario's delays (target < 50 ms). One local stack (a
// scaffolded generic-http project: emulator, bridge, mock provider with 50 ms per callback,
// scenario `read` = 3 callbacks = 150 ms of scripted delay). Interleaved, per message:
//  - baseline: the same flow driven by hand (emulator.sendMessage, then wait for `read`);
//  - send: runSend with --expect sent,delivered,read (timeline, analysis, settle).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaffold } from '../dist/scaffold/index.js';
import { runSend } from '../dist/send/run.js';
import { startLocalStack } from '../dist/send/stack.js';
import { median, report } from './lib.mjs';

const STEP_MS = 50;
const SCRIPTED = 3 * STEP_MS;
const runs = Number(process.env.BENCH_RUNS ?? 15);
const folder = mkdtempSync(join(tmpdir(), 'bench-send-'));
const { dir } = await scaffold({ dir: join(folder, 'p'), template: 'generic-http', install: false });
const stack = await startLocalStack({ cwd: dir, env: {}, providerStepMs: STEP_MS });
const to = '+60177872890';
stack.setScenario(to, 'read');

async function baseline() {
  const start = performance.now();
  const record = await stack.emulator.sendMessage({ contactId: to, message: { type: 'text', text: 'bench' } });
  await stack.emulator.waitFor(
    (e) => e.type === 'message.status' && e.messageId === record.messageId && e.status.value === 'read',
    5000,
  );
  const ms = performance.now() - start;
  await stack.settle();
  return ms;
}

async function viaSend() {
  const start = performance.now();
  const result = await runSend({
    stack,
    to,
    message: { type: 'text', text: 'bench' },
    expect: ['sent', 'delivered', 'read'],
    timeoutMs: 5000,
  });
  if (!result.ok) throw new Error(`send failed: ${result.summary}`);
  return performance.now() - start;
}

try {
  await baseline();
  await viaSend();
  const base = [];
  const send = [];
  for (let i = 0; i < runs; i += 1) {
    base.push(await baseline());
    send.push(await viaSend());
  }
  const b = median(base);
  const s = median(send);
  report('hand-driven flow, sent -> read (baseline)', b, 'ms');
  report('send --expect sent,delivered,read', s, 'ms', { ratio: s / b });
  report('send overhead vs hand-driven flow', s - b, 'ms', { target: '< 50 ms', pass: s - b < 50 });
  report(`send time beyond the scenario's ${SCRIPTED} ms of delays`, s - SCRIPTED, 'ms');
} finally {
  await stack.close();
  rmSync(folder, { recursive: true, force: true });
}
