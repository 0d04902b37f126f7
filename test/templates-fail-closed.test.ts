/**
 * Templates fail closed: with their webhook secret unset, every provider callback (unsigned or
 * forged) is refused with 401 and nothing reaches the outbox; the bridge warns once at start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBridge } from '../src/bridge/index.js';
import { loadAdapter } from '../src/project.js';

const templates = join(import.meta.dirname, '../templates');
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

const cases = [
  {
    template: 'telegram-bot',
    secret: 'TELEGRAM_WEBHOOK_SECRET',
    env: { TELEGRAM_BOT_TOKEN: '7000000001:test_token_0123456789abcdefghijk', TELEGRAM_API_URL: 'http://127.0.0.1:9' },
    forged: { 'x-telegram-bot-api-secret-token': 'guess' },
    body: { update_id: 1, message: { message_id: 1, date: 1767225600, chat: { id: 42, type: 'private' }, text: 'hi' } },
  },
  {
    template: 'clicksend-sms',
    secret: 'CLICKSEND_WEBHOOK_SECRET',
    env: { CLICKSEND_USERNAME: 'u', CLICKSEND_API_KEY: 'k', CLICKSEND_API_URL: 'http://127.0.0.1:9' },
    forged: {},
    query: '?secret=',
    body: { from: '+60177872890', body: 'hi', message_id: 'm-1', timestamp: '1767225660' },
  },
  {
    template: 'generic-http',
    secret: 'PROVIDER_WEBHOOK_SECRET',
    env: { PROVIDER_API_URL: 'http://127.0.0.1:9', PROVIDER_API_KEY: 'key' },
    forged: { 'x-provider-signature': 'sha256=0000' },
    body: { kind: 'message', messageId: 'p-1', from: '+60177872890', text: 'hi', timestamp: 1767225600000 },
  },
];

describe.each(cases)('$template without $secret', (c) => {
  it('refuses unsigned and forged callbacks on every webhook route with 401, and warns once at start', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), `fail-closed-${c.template}-`));
    closers.push(() => rm(stateDir, { recursive: true, force: true }));
    const adapter = await loadAdapter(join(templates, c.template, 'src', 'adapter.ts'));
    const lines: string[] = [];
    const app = buildBridge({
      adapter,
      channel: { channelId: 'failclosed01', token: 'failClosedToken0123456789abcdefghijklmnopqrstu', idType: 'phone' },
      respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
      env: { ...c.env, [c.secret]: '' },
      stateDir,
      logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } },
    });
    closers.push(() => app.close());
    await app.ready();
    const warnings = lines.filter((line) => line.includes(`${c.secret} is not set`));
    expect(warnings).toHaveLength(1);
    // The callback routes (those that check a signature or secret); each names its secret.
    const callbacks = adapter.webhooks.filter((hook) => hook.verify);
    expect(callbacks.map((hook) => hook.secretEnv)).toEqual(callbacks.map(() => c.secret));
    const routes = callbacks.map((hook) => hook.path);
    expect(routes.length).toBeGreaterThan(0);
    for (const path of routes) {
      for (const headers of [{}, c.forged]) {
        const answer = await app.inject({
          method: 'POST',
          url: `${path}${c.query ?? ''}`,
          headers: { 'content-type': 'application/json', ...headers },
          payload: JSON.stringify(c.body),
        });
        expect(answer.statusCode, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(answer.json().error.message).toMatch(new RegExp(`${c.secret} is not set`));
      }
    }
    // Nothing was queued for respond.io.
    expect(app.bridge.outbox.stats()).toMatchObject({ pending: 0, inFlight: 0, deadLetters: 0, delivered: 0 });
    // Still said once: refusals are not logged as new warnings.
    expect(lines.filter((line) => line.includes(`${c.secret} is not set`))).toHaveLength(1);
  });
});
