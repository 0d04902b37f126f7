/**
 * The ops pieces one by one: log scrubbing, the delivery watch's rate-limited lines, readiness
 * verdicts, the env-twin helper, and /metrics on a built bridge.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../src/bridge/adapter.js';
import { createDeliveryWatch } from '../src/bridge/delivery-watch.js';
import { readiness } from '../src/bridge/health.js';
import { buildBridge } from '../src/bridge/index.js';
import { type BridgeLogEntry, redactQuery, scrubLine } from '../src/bridge/logging.js';
import { buildProgram } from '../src/cli.js';
import { envNameOf, envOption } from '../src/commands/env-option.js';
import type { DeliveryResult, OutboxEntry } from '../src/outbox/types.js';
import { buildTestAdapter } from './support/bridge-adapter.js';
import { useCleanups } from './support/cleanups.js';
import { parsePrometheusText, sumOf } from './support/prom-text.js';

const defer = useCleanups('each');
const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';

describe('log scrubbing', () => {
  it.each([
    ['/hooks/cs', '/hooks/cs'],
    ['/hooks/cs?secret=abc', '/hooks/cs?secret=[redacted]'],
    ['/hooks/cs?secret=abc&x=1&flag', '/hooks/cs?secret=[redacted]&x=[redacted]&flag'],
    ['/a?b=c?d=e', '/a?b=[redacted]'],
  ])('redactQuery(%s)', (url, expected) => {
    expect(redactQuery(url)).toBe(expected);
  });

  it('masks known secrets anywhere in a line and strips query values from text', () => {
    const line = `{"msg":"Route GET:/x?token=s3cr3t-value not found","err":"bad ${TOKEN}"}`;
    const out = scrubLine(line, [TOKEN]);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain('s3cr3t-value');
    expect(out).toContain('tok_…GH');
  });

  it('a built bridge logs no token, env secret or query value, and hands lines to onLog', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ops-unit-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const lines: string[] = [];
    const app = buildBridge({
      adapter: buildTestAdapter(),
      channel: { channelId: 'c', token: TOKEN, idType: 'phone' },
      respondio: { webhookUrl: 'http://127.0.0.1:9/' },
      env: { PROVIDER_API_KEY: 'key-from-env-778899' },
      stateDir: dir,
      logger: { level: 'debug', stream: { write: (line: string) => lines.push(line) } },
    });
    defer(() => app.close());
    await app.inject({ method: 'POST', url: '/webhooks/test?secret=qs-value-123456', payload: {} });
    await app.inject({ method: 'GET', url: `/nope?token=${TOKEN}` });
    app.log.warn({ echoed: 'key-from-env-778899' }, `token ${TOKEN}`);
    // One request line per request (2), the warning (1), and whatever start-up says.
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain('qs-value-123456');
      expect(line).not.toContain('key-from-env-778899');
    }
    expect(lines.join('\n')).toContain('"url":"/webhooks/test?secret=[redacted]"');

    const entries: BridgeLogEntry[] = [];
    const quiet = buildBridge({
      adapter: buildTestAdapter(),
      channel: { channelId: 'c', token: TOKEN, idType: 'phone' },
      respondio: { webhookUrl: 'http://127.0.0.1:9/' },
      stateDir: join(dir, 'b'),
      onLog: (entry) => entries.push(entry),
    });
    defer(() => quiet.close());
    await quiet.inject({ method: 'GET', url: '/health' });
    quiet.log.warn({ n: 1 }, `careful ${TOKEN}`);
    // Request lines are left out for a console; the warning arrives, scrubbed.
    expect(entries).toEqual([{ level: 'warn', time: expect.any(Number), msg: 'careful tok_…GH', data: { n: 1 } }]);
  });
});

function fakeLog() {
  const lines: Array<{ level: string; data: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (data: Record<string, unknown>, msg: string) => lines.push({ level, data, msg });
  const log = { warn: at('warn'), error: at('error'), info: at('info'), debug: at('debug') };
  return { log: log as unknown as FastifyBaseLogger, lines };
}

const entry = (id: string): OutboxEntry => ({
  id,
  key: `message:${id}:`,
  enqueuedAt: 0,
  attempts: 0,
  item: { contactId: '+1', event: { type: 'message', mId: id, timestamp: 1, message: { type: 'text', text: 'x' } } },
});

describe('delivery watch', () => {
  it('holds failures to one warn line per cause per interval, with counts, then one recovery line', async () => {
    const { log, lines } = fakeLog();
    const watch = createDeliveryWatch({ log, warnIntervalMs: 80 });
    let answer: DeliveryResult = { ok: false, retry: true, error: 'respond.io answered 503: down' };
    const fetch503 = watch.wrapFetch(async () => new Response('', { status: 503 }));
    const deliver = watch.wrapDeliver(async (_batch: readonly OutboxEntry[], _signal: AbortSignal) => {
      await fetch503('http://x/');
      return answer;
    });
    const signal = new AbortController().signal;
    for (let i = 0; i < 5; i += 1) await deliver([entry(`e${i}`), entry(`f${i}`)], signal);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines[0].data).toMatchObject({ cause: 'respond.io answered 503', attempts: 1, events: 2 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(2);
    expect(warns[1].data).toMatchObject({ attempts: 4, events: 8 });
    expect(watch.health()).toMatchObject({ failedAttempts: 5, failingSince: expect.any(Number) });
    answer = { ok: true };
    await deliver([entry('ok')], signal);
    const info = lines.filter((l) => l.level === 'info');
    expect(info).toHaveLength(1);
    expect(info[0].data).toMatchObject({ failedAttempts: 5, notWarnedAttempts: 0 });
    expect(watch.health().failingSince).toBeUndefined();
    watch.close();
  });

  it('logs one error per dead letter: the named culprits, a lone event, none for a batch the outbox will split', async () => {
    const { log, lines } = fakeLog();
    const watch = createDeliveryWatch({ log });
    // `culprits` arrives with the outbox's batched delivery (issue 19); typed loosely until then.
    const named = { ok: false, retry: false, error: 'respond.io answered 400: bad', culprits: [1, 2] };
    let answer = named as DeliveryResult;
    const deliver = watch.wrapDeliver(async (_batch: readonly OutboxEntry[], _signal: AbortSignal) => answer);
    const signal = new AbortController().signal;
    await deliver([entry('a'), entry('b'), entry('c')], signal);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.data.mId)).toEqual(['b', 'c']);
    answer = { ok: false, retry: false, error: 'respond.io answered 400: bad' };
    await deliver([entry('d'), entry('e')], signal);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(2);
    await deliver([entry('f')], signal);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.data.mId)).toEqual(['b', 'c', 'f']);
    // A 400 is a bad event, not respond.io being down.
    expect(watch.health().failingSince).toBeUndefined();
    // An attempt cut short by the shutdown is not a failure.
    const aborted = new AbortController();
    aborted.abort();
    answer = { ok: false, retry: true, error: 'aborted' };
    await deliver([entry('g')], aborted.signal);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(0);
    watch.close();
  });

  it('logs an error for an event retried past the give-up age', async () => {
    const { log, lines } = fakeLog();
    const watch = createDeliveryWatch({ log, giveUpAfterMs: 1000, now: () => 5000 });
    const deliver = watch.wrapDeliver(
      async (_batch: readonly OutboxEntry[], _signal: AbortSignal): Promise<DeliveryResult> => ({
        ok: false,
        retry: true,
        error: 'respond.io unreachable: ECONNREFUSED',
      }),
    );
    const fresh = { ...entry('fresh'), enqueuedAt: 4500 };
    await deliver([entry('old'), fresh], new AbortController().signal);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.data.mId)).toEqual(['old']);
    expect(errors[0].msg).toMatch(/retried for 0 h without success/);
    watch.close();
  });
});

describe('readiness', () => {
  const stats = { pending: 0, inFlight: 0, deadLetters: 0, delivered: 0, duplicates: 0 };
  it.each([
    ['ready', { adapter: { name: 'a' }, stats, delivery: { failedAttempts: 0 } }, []],
    ['no outbox', { adapter: { name: 'a' }, delivery: { failedAttempts: 0 } }, ['outbox not open yet']],
    [
      'adapter broken',
      { adapter: { error: 'SyntaxError' }, stats, delivery: { failedAttempts: 0 } },
      ['adapter failed to load: SyntaxError'],
    ],
    [
      'over the high-water mark',
      { adapter: { name: 'a' }, stats: { ...stats, pending: 11 }, delivery: { failedAttempts: 0 } },
      ['outbox over its high-water mark: 11 pending events (limit 10)'],
    ],
    [
      'failing, not long enough yet',
      { adapter: { name: 'a' }, stats, delivery: { failedAttempts: 3, failingSince: 95_000, lastError: 'x' } },
      [],
    ],
    [
      'failing too long',
      {
        adapter: { name: 'a' },
        stats,
        delivery: { failedAttempts: 3, failingSince: 40_000, lastError: 'answered 503' },
      },
      ['deliveries to respond.io failing for 60 s (3 attempts): answered 503'],
    ],
  ])('%s', (_name, input, reasons) => {
    const verdict = readiness({ ...input, now: 100_000 }, { failingAfterMs: 60_000, highWaterMark: 10 });
    expect(verdict).toEqual({ ready: reasons.length === 0, reasons });
  });
});

describe('environment twins', () => {
  const parse = (env: Record<string, string>, argv: string[] = []) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const command = new Command('x').exitOverride();
      envOption(command, '--no-metrics', 'off', 'T_NO_METRICS');
      envOption(command, '--persist', 'on', 'T_PERSIST');
      envOption(command, '--port <port>', 'port', 'T_PORT', { default: '3000' });
      command.parse(argv, { from: 'user' });
      return command.opts();
    } finally {
      for (const key of Object.keys(env)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  };

  it('reads values and booleans from the environment; 0/false/no/off mean not set; the command line wins', () => {
    expect(parse({})).toEqual({ metrics: true, port: '3000' });
    expect(parse({ T_NO_METRICS: '1', T_PERSIST: 'yes', T_PORT: '8080' })).toEqual({
      metrics: false,
      persist: true,
      port: '8080',
    });
    for (const off of ['0', 'false', 'NO', 'off', ''])
      expect(parse({ T_NO_METRICS: off, T_PERSIST: off })).toEqual({ metrics: true, port: '3000' });
    expect(parse({ T_PORT: '8080' }, ['--port', '9090']).port).toBe('9090');
  });

  it('names twins after the flag', () => {
    expect(envNameOf('--tunnel-host', 'dev')).toBe('CUSTOM_CHANNEL_DEV_TUNNEL_HOST');
    expect(envNameOf('--force-429', 'emulator')).toBe('CUSTOM_CHANNEL_EMULATOR_FORCE_429');
  });

  it.each(['start', 'dev', 'emulate'])('%s --help lists the environment twin of every flag', async (name) => {
    const program = await buildProgram(['node', 'custom-channel', name], 'all');
    const command = program.commands.find((c) => c.name() === name);
    const help = command?.helpInformation() ?? '';
    const flags = command?.options.map((o) => o.long) ?? [];
    expect(flags.length).toBeGreaterThan(3);
    for (const option of command?.options ?? []) {
      expect(option.envVar, `${option.long} has no env twin`).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(help.replace(/\s+/g, ' '), `${option.long}'s twin is not in --help`).toContain(`env: ${option.envVar}`);
    }
  });
});

describe('/metrics on a built bridge', () => {
  it('parses strictly, counts /message by adapter and outcome, and carries no secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ops-unit-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const app = buildBridge({
      adapter: buildTestAdapter(),
      channel: { channelId: 'chan-1', token: TOKEN, idType: 'phone' },
      respondio: { webhookUrl: 'http://127.0.0.1:9/' },
      stateDir: dir,
    });
    defer(() => app.close());
    const message = { channelId: 'chan-1', contactId: '+60177872890', message: { type: 'text', text: 'hi' } };
    await app.inject({
      method: 'POST',
      url: '/message',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: message,
    });
    await app.inject({ method: 'POST', url: '/message', headers: { authorization: 'Bearer wrong' }, payload: message });
    // Refused before the route's handler runs (over Fastify's body limit): counted too.
    const tooBig = await app.inject({
      method: 'POST',
      url: '/message',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...message, message: { type: 'text', text: 'x'.repeat(2 << 20) } }),
    });
    expect(tooBig.statusCode).toBe(413);
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    const families = parsePrometheusText(response.body);
    expect(sumOf(families, 'custom_channel_message_requests_total', { adapter: 'test', outcome: 'sent' })).toBe(1);
    expect(sumOf(families, 'custom_channel_message_requests_total', { adapter: 'test', outcome: 'refused' })).toBe(2);
    expect(sumOf(families, 'custom_channel_message_duration_seconds_count', { adapter: 'test' })).toBe(3);
    expect(sumOf(families, 'custom_channel_provider_send_retries_total', { adapter: 'test' })).toBe(0);
    expect(families.get('custom_channel_outbox_events')?.type).toBe('gauge');
    expect(response.body).not.toContain(TOKEN);
    expect(response.body).not.toContain('+60177872890');
  });
});

describe('provider send retries', () => {
  it('counts each retry of a send the provider refused for now', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ops-unit-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    let calls = 0;
    const adapter = buildTestAdapter();
    const app = buildBridge({
      adapter: {
        ...adapter,
        async send(input, ctx) {
          calls += 1;
          if (calls <= 2) throw new RetryableError('provider busy', { retryAfterMs: 1 });
          return adapter.send(input, ctx);
        },
      },
      channel: { channelId: 'chan-1', token: TOKEN, idType: 'phone' },
      respondio: { webhookUrl: 'http://127.0.0.1:9/' },
      stateDir: dir,
    });
    defer(() => app.close());
    const sent = await app.inject({
      method: 'POST',
      url: '/message',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { channelId: 'chan-1', contactId: '+60177872890', message: { type: 'text', text: 'hi' } },
    });
    expect(sent.statusCode).toBe(200);
    expect(calls).toBe(3);
    const families = parsePrometheusText((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(sumOf(families, 'custom_channel_provider_send_retries_total', { adapter: 'test' })).toBe(2);
  });
});
