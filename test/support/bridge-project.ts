/**
 * End-to-end helpers for the bridge: a scaffold-like temp project whose adapter turns signed
 * JSON webhooks into respond.io messages, `custom-channel start` run from the built bin as a
 * real process, and a provider that posts webhooks and retries until the bridge answers 2xx
 * (as real providers do).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './cli.js';

export const E2E_SECRET = 'e2e-webhook-secret';
export const E2E_CHANNEL = { channelId: 'e2e-channel', token: 'e2e_token_0123456789abcdefghijklmnopqrstuvwxyzAB' };

const ADAPTER = `import { createHmac } from 'node:crypto';
import { defineAdapter, safeEqual } from 'custom-channel';

export default defineAdapter({
  name: 'e2e',
  capabilities: { messageTypes: ['text'], statuses: ['sent'] },
  async send(input) {
    return { mId: 'sent-' + input.contactId };
  },
  webhooks: [
    {
      path: '/webhooks/e2e',
      verify(request, ctx) {
        const expected = createHmac('sha256', ctx.env.E2E_SECRET ?? '').update(request.rawBody).digest('hex');
        return safeEqual(request.headers['x-signature'] ?? '', expected);
      },
      handle(request) {
        const body = request.body as { from: string; id: string; text: string; ts: number };
        return {
          events: [{ contactId: body.from, event: { type: 'message', mId: body.id, timestamp: body.ts, message: { type: 'text', text: body.text } } }],
        };
      },
    },
  ],
});
`;

/** Writes a project (package.json manifest, adapter, .env) into a new temp folder. */
export async function createBridgeProject(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'bridge-e2e-'));
  await mkdir(join(root, 'src'));
  await writeFile(
    join(root, 'package.json'),
    JSON.stringify({
      name: 'e2e-server',
      type: 'module',
      customChannel: { adapter: 'src/adapter.ts', idType: 'phone' },
    }),
  );
  await writeFile(join(root, 'src', 'adapter.ts'), ADAPTER);
  await writeFile(join(root, '.env'), `E2E_SECRET=${E2E_SECRET}\n`);
  return root;
}

export interface BridgeProcess {
  child: ChildProcess;
  url: Promise<string>;
  logs: string[];
  exited: Promise<number | string>;
}

/** Runs `custom-channel start` in `root` on a free port; `url` resolves from its "bridge listening" log line. */
/** SIGKILLs a spawned bridge that is still running and waits for it: for cleanups. */
export async function killBridge(bridge: BridgeProcess): Promise<void> {
  if (bridge.child.exitCode === null && bridge.child.signalCode === null) bridge.child.kill('SIGKILL');
  await bridge.exited;
}

export function spawnBridge(
  root: string,
  webhookUrl: string,
  args: string[] = [],
  channel: { channelId: string; token: string } = E2E_CHANNEL,
  env: Record<string, string> = {},
): BridgeProcess {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--host', '127.0.0.1', ...args], {
    cwd: root,
    env: {
      ...process.env,
      RESPONDIO_CHANNEL_ID: channel.channelId,
      RESPONDIO_CHANNEL_TOKEN: channel.token,
      RESPONDIO_WEBHOOK_URL: webhookUrl,
      XDG_CONFIG_HOME: join(root, '.config'),
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const url = new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        logs.push(line);
        try {
          const record = JSON.parse(line) as { msg?: string; url?: string };
          if (record.msg === 'bridge listening' && record.url) resolve(record.url);
        } catch {
          // Not a log line.
        }
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => logs.push(`stderr: ${chunk}`));
    child.once('exit', (code, signal) => reject(new Error(`bridge exited ${code ?? signal}: ${logs.join('\n')}`)));
  });
  url.catch(() => {});
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, url, logs, exited };
}

export interface InboundEvent {
  from: string;
  id: string;
  text: string;
  ts: number;
}

/** 1,000 contacts' worth of distinct inbound messages (10 contacts, so ordering per contact is exercised). */
export function buildInbound(count: number): InboundEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    from: `+6017${String(i % 10).padStart(7, '0')}`,
    id: `in-${i}`,
    text: `message ${i}`,
    ts: 1767225600000 + i,
  }));
}

/**
 * Posts every event to the bridge's webhook, `concurrency` at a time, retrying each until it
 * is answered 2xx (connection refused while the bridge restarts, 5xx). `bridgeUrl()` is read
 * on every try, so a restarted bridge on a new port is picked up.
 */
export async function postAll(
  bridgeUrl: () => string | undefined,
  events: readonly InboundEvent[],
  concurrency = 16,
  onAccepted?: (count: number) => void,
): Promise<{ tries: number }> {
  let next = 0;
  let tries = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next];
      next += 1;
      const raw = JSON.stringify(event);
      const signature = createHmac('sha256', E2E_SECRET).update(raw).digest('hex');
      for (;;) {
        tries += 1;
        const base = bridgeUrl();
        try {
          if (base) {
            const response = await fetch(`${base}/webhooks/e2e`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-signature': signature },
              body: raw,
              signal: AbortSignal.timeout(5000),
            });
            await response.arrayBuffer();
            if (response.ok) break;
          }
        } catch {
          // The bridge is down or restarting: try again.
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      accepted += 1;
      onAccepted?.(accepted);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { tries };
}

/** Resolves once `check()` holds (polling), or rejects after `timeoutMs` with `describe()`. */
export function waitUntil(check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out: ${describe()}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}
