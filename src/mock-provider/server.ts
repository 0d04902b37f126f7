/**
 * The mock provider as an HTTP server: the provider API (`POST /v1/messages`) the
 * generic-http adapter calls, and a control API under `/_mock/` for tests, demos and `dev`.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { guardLocalServer } from '../lib/local-guard.js';
import { fastifyTimeouts, limitJsonDepth } from '../lib/server-limits.js';
import { bearerToken, safeEqual } from '../secrets.js';
import {
  createMockCore,
  type MockActivity,
  MockCallbackError,
  type MockCallbackRecord,
  type MockSend,
} from './core.js';
import { ProviderContentSchema, ProviderSendSchema, providerError } from './protocol.js';
import { type PlanOptions, type Scenario, scenarios } from './scenarios.js';
import type { InboundInput, ProviderMock } from './types.js';

export interface MockProviderOptions {
  /** 0 (default): any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Host names accepted besides loopback; see src/lib/local-guard.ts. */
  allowedHosts?: readonly string[];
  /** Scenario for contacts without a rule (default `read`). */
  defaultScenario?: Scenario;
  /** Scenario per recipient; `contactId: '*'` sets the default. */
  rules?: Array<{ contactId: string; scenario: Scenario }>;
  /** `step`: pause before each callback (50 ms); `slow`: the same in the `slow` scenario (2000 ms). */
  delaysMs?: { step?: number; slow?: number };
  /** Post a `sent` callback before the others (default true; see `PlanOptions.sentCallback`). */
  sentCallback?: boolean;
  /** Bearer key sends must carry (random when omitted; read it from `env`). */
  apiKey?: string;
  /** HMAC secret of the callback signatures (random when omitted). */
  webhookSecret?: string;
  /** The integration server's base URL; callbacks go to `<base>/webhooks/provider`. */
  callbackBase?: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** A request's headers and body must arrive within this (default 10,000 ms; then 408 and the connection closes). */
  requestTimeoutMs?: number;
  /** Extra attempts for a callback that got a network error or a 5xx (default 2). */
  retries?: number;
  /** How long the `provider-outage` scenario keeps the provider down (default 6.5 s). */
  outageMs?: number;
  /** Every accepted send and every callback made, as it happens (for a console). */
  onActivity?(activity: MockActivity): void;
}

/** The mock provider: `ProviderMock` plus the Fastify app and its records. */
export interface MockProvider extends ProviderMock {
  readonly app: FastifyInstance;
  readonly apiKey: string;
  readonly webhookSecret: string;
  /** Sends accepted so far, oldest first. */
  sends(): MockSend[];
  /** Callbacks posted so far, oldest first. */
  callbacks(): MockCallbackRecord[];
  /** Scenario rules: contact id -> scenario, `'*'` the default. */
  rules(): Record<string, Scenario>;
  /** The business sent a message from the provider's own app: posts an `echo` callback. */
  injectEcho(input: { to: string; text: string }): Promise<{ messageId: string }>;
  /** Resolves when every scenario started so far has made all its callbacks. */
  idle(): Promise<void>;
  /**
   * Takes the provider down for `ms`: `503` answers sends with 503 (and `retryAfter` as
   * Retry-After), `refuse` closes the port so connections are refused (the control API too).
   * `undefined` ends an outage.
   */
  setFault(fault: { mode: '503' | 'refuse'; ms: number; retryAfter?: string } | undefined): Promise<void>;
  /** Sends answered 503 by a fault so far. */
  refused(): number;
}

const ScenarioBody = z.object({ contactId: z.string().min(1).default('*'), scenario: z.enum(scenarios) });
const InboundBody = z.intersection(
  z.object({ from: z.string().min(1), fromName: z.string().optional() }),
  ProviderContentSchema,
);
const EchoBody = z.intersection(z.object({ to: z.string().min(1) }), ProviderContentSchema);
const CallbackBaseBody = z.object({ url: z.url() });
const FaultBody = z.object({
  mode: z.enum(['503', 'refuse', 'none']),
  seconds: z.number().min(0).max(3600).default(30),
  retryAfter: z.string().max(64).optional(),
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}

/**
 * Builds the mock provider without listening: drive `app` with `inject()`. `url` and `env`
 * stay empty until `startMockProvider` (or your own `app.listen`) gives it an address.
 * @example const mock = buildMockProvider({ defaultScenario: 'failed' }); await mock.app.inject({ ... })
 */
export function buildMockProvider(options: MockProviderOptions = {}): MockProvider & { setUrl(url: string): void } {
  const apiKey = options.apiKey ?? `mock_${randomBytes(18).toString('hex')}`;
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(18).toString('hex')}`;
  const plan: PlanOptions = {
    stepMs: options.delaysMs?.step,
    slowMs: options.delaysMs?.slow,
    sentCallback: options.sentCallback,
  };
  const core = createMockCore({ ...plan, ...options, webhookSecret });
  const app = Fastify({ ...fastifyTimeouts(options.requestTimeoutMs), logger: false, forceCloseConnections: true });
  limitJsonDepth(app);
  guardLocalServer(app, { host: options.host, allowedHosts: options.allowedHosts });
  let url = '';
  let closing: Promise<void> | undefined;
  let refusing: NodeJS.Timeout | undefined;

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    void reply.status(status).send(providerError(status === 500 ? 'internal' : 'bad_request', error.message));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(providerError('not_found', `no route ${request.method} ${request.url}`));
  });

  app.post('/v1/messages', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (!token || !safeEqual(token, apiKey)) {
      return reply
        .status(401)
        .send(providerError('unauthorized', 'missing or wrong API key (Authorization: Bearer <PROVIDER_API_KEY>)'));
    }
    const parsed = ProviderSendSchema.safeParse(request.body);
    if (!parsed.success) return reply.status(400).send(providerError('invalid_request', firstIssue(parsed.error)));
    const fault = core.faultFor(parsed.data.to);
    if (fault) {
      core.refusedOne();
      if (fault.retryAfter) reply.header('retry-after', fault.retryAfter);
      return reply.status(503).send(providerError('unavailable', 'the provider is down (mock provider outage)'));
    }
    const key = request.headers['idempotency-key'];
    const send = core.accept(parsed.data, typeof key === 'string' && key !== '' ? key : undefined);
    return { id: send.id, status: send.deliveries > 1 ? 'duplicate' : 'accepted' };
  });

  app.get('/_mock/sends', async () => ({ sends: core.sends() }));
  app.delete('/_mock/sends', async () => {
    core.clear();
    return { ok: true };
  });
  app.get('/_mock/callbacks', async () => ({ callbacks: core.callbacks() }));
  app.get('/_mock/fault', async () => ({ fault: core.fault() ?? null, refused: core.refused() }));
  app.put('/_mock/fault', async (request, reply) => {
    const parsed = FaultBody.safeParse(request.body ?? {});
    if (!parsed.success) return reply.status(400).send(providerError('invalid_request', firstIssue(parsed.error)));
    if (parsed.data.mode === 'refuse') {
      return reply
        .status(400)
        .send(providerError('invalid_request', 'mode: "refuse" closes this port; use setFault() in-process'));
    }
    const { mode, seconds, retryAfter } = parsed.data;
    return { fault: core.setFault(mode === 'none' ? undefined : { mode, ms: seconds * 1000, retryAfter }) ?? null };
  });
  app.get('/_mock/scenario', async () => ({ scenarios, rules: core.rules() }));
  app.post('/_mock/scenario', async (request, reply) => {
    const parsed = ScenarioBody.safeParse(request.body ?? {});
    if (!parsed.success) return reply.status(400).send(providerError('invalid_request', firstIssue(parsed.error)));
    core.setScenario(parsed.data.contactId, parsed.data.scenario);
    return { rules: core.rules() };
  });
  app.post('/_mock/callback-base', async (request, reply) => {
    const parsed = CallbackBaseBody.safeParse(request.body ?? {});
    if (!parsed.success) return reply.status(400).send(providerError('invalid_request', firstIssue(parsed.error)));
    core.setCallbackBase(parsed.data.url);
    return { callbackBase: core.callbackBase() };
  });
  const injector =
    <T>(schema: z.ZodType<T>, run: (input: T) => Promise<{ messageId: string }>) =>
    async (request: { body: unknown }, reply: { status(code: number): { send(body: unknown): unknown } }) => {
      const parsed = schema.safeParse(request.body ?? {});
      if (!parsed.success) return reply.status(400).send(providerError('invalid_request', firstIssue(parsed.error)));
      try {
        return await run(parsed.data);
      } catch (error) {
        if (!(error instanceof MockCallbackError)) throw error;
        return reply.status(error.httpStatus === 0 ? 409 : 502).send(providerError('callback_failed', error.message));
      }
    };
  app.post(
    '/_mock/inbound',
    injector(InboundBody, (input) => core.injectInbound(input)),
  );
  app.post(
    '/_mock/echo',
    injector(EchoBody, (input) => core.injectEcho(input)),
  );

  return {
    app,
    apiKey,
    webhookSecret,
    get url() {
      return url;
    },
    get env() {
      return { PROVIDER_API_URL: url, PROVIDER_API_KEY: apiKey, PROVIDER_WEBHOOK_SECRET: webhookSecret };
    },
    scenarios,
    setUrl(value: string) {
      url = value.replace(/\/+$/, '');
    },
    setCallbackBase: (base) => core.setCallbackBase(base),
    setScenario: (contactId, scenario) => core.setScenario(contactId, scenario),
    injectInbound: (input: InboundInput) => core.injectInbound({ type: 'text', ...input }),
    injectEcho: (input) => core.injectEcho({ type: 'text', ...input }),
    async setFault(fault) {
      core.setFault(fault?.mode === '503' ? fault : undefined);
      if (fault?.mode !== 'refuse' || !app.server.listening) return;
      // Connection refused: close the port, reopen it on the same port when the outage ends.
      const address = app.server.address();
      if (!address || typeof address !== 'object') return;
      await new Promise<void>((resolve) => {
        app.server.close(() => resolve());
        app.server.closeAllConnections();
      });
      const timer = setTimeout(() => {
        if (!closing) app.server.listen(address.port, address.address);
      }, fault.ms);
      refusing = timer;
    },
    refused: core.refused,
    sends: core.sends,
    callbacks: core.callbacks,
    rules: core.rules,
    idle: core.idle,
    close() {
      closing ??= (async () => {
        clearTimeout(refusing);
        core.stop();
        await core.idle();
        await app.close();
      })();
      return closing;
    },
  };
}

/**
 * Starts the mock provider on 127.0.0.1 (port 0: any free port).
 * @example const mock = await startMockProvider({ rules: [{ contactId: '+60123456789', scenario: 'failed' }] });
 * mock.setCallbackBase(bridge.url); // then run the adapter with mock.env
 */
export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const mock = buildMockProvider(options);
  const host = options.host ?? '127.0.0.1';
  await mock.app.listen({ port: options.port ?? 0, host });
  const address = mock.app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  mock.setUrl(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  return mock;
}
