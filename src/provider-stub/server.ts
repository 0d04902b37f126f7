/**
 * The fixture-replaying stand-in for a real provider (ClickSend, Telegram): a local HTTP
 * server that answers the adapter's provider API calls with the template's recorded responses
 * and calls the bridge's webhook routes back with the template's recorded pushes, so `send`
 * and `demo` run offline for real-provider templates. It implements `ProviderMock`, like the
 * generic mock provider.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { buildLocalGuard, guardInput } from '../lib/local-guard.js';
import { requestTimeouts } from '../lib/server-limits.js';
import type { InboundInput, ProviderMock, Scenario } from '../mock-provider/types.js';
import { maskHeaders, maskSecret } from '../secrets.js';
import { buildPayload, type FillValues, fillPlaceholders, getPath } from './fill.js';
import { authorized, encodeBody, parseBody, parseJsonFields, routePattern } from './http.js';
import { type LoadedStub, loadStubManifest, STUB_MANIFEST, type StubCallback } from './manifest.js';
import { hasStubModule, startStubModule } from './module.js';

export interface ProviderStubOptions {
  /** Project or template folder holding `fixtures/provider-stub.json`. */
  root: string;
  host?: string;
  /** Host names accepted besides loopback; see src/lib/local-guard.ts. */
  allowedHosts?: readonly string[];
  /** 0 (default): any free port. */
  port?: number;
  /** Overrides and extra variables for the adapter's env (e.g. a webhook secret to exercise). */
  env?: Record<string, string>;
  /** Pause before each callback (default 150 ms; `slow` waits 10 times as long). */
  callbackDelayMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
  /** A request's headers and body must arrive within this (default 10,000 ms; then 408 and the connection closes). */
  requestTimeoutMs?: number;
}

/** One provider API call the stub answered. */
export interface StubRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  /** The recipient (a send), when the route names one. */
  contactId?: string;
  /** The provider message id the stub made up for it. */
  messageId?: string;
  response: unknown;
}

/** One callback the stub made to the bridge. */
export interface StubCallbackRecord {
  name: string;
  url: string;
  body: unknown;
  /** HTTP status of the bridge's answer; 0 when it did not answer. */
  status: number;
  messageId: string;
  error?: string;
}

export interface ProviderStub extends ProviderMock {
  readonly provider: string;
  /** Provider API calls so far, oldest first. */
  requests(): StubRequest[];
  /** Callbacks made so far, oldest first. */
  callbacks(): StubCallbackRecord[];
  /** Resolves when every scheduled callback has been made. */
  idle(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the stand-in described by `<root>/fixtures/provider-stub.json` on 127.0.0.1.
 * @example const stub = await startProviderStub({ root: project.root }); stub.setCallbackBase(bridge.url)
 */
/** Largest request body the stand-in reads, like the other servers (1 MiB). */
const BODY_LIMIT = 1024 * 1024;

export async function startProviderStub(options: ProviderStubOptions): Promise<ProviderStub> {
  if (hasStubModule(options.root) && !existsSync(join(options.root, STUB_MANIFEST))) return startStubModule(options);
  const stub: LoadedStub = loadStubManifest(options.root);
  const { manifest } = stub;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const delayMs = options.callbackDelayMs ?? 150;
  const requests: StubRequest[] = [];
  const callbackLog: StubCallbackRecord[] = [];
  const rules = new Map<string, Scenario>();
  const pending = new Set<Promise<void>>();
  let counter = 5000;
  let callbackBase: string | undefined;
  let closing: Promise<void> | undefined;
  let env: Record<string, string> = {};

  const newId = (): string | number => (manifest.ids === 'counter' ? ++counter : randomUUID().toUpperCase());
  const values = (extra: FillValues): FillValues => ({ now: now(), nowSeconds: Math.floor(now() / 1000), ...extra });
  const scenarioFor = (contactId: string | undefined) =>
    (contactId && rules.get(contactId)) || rules.get('*') || manifest.defaultScenario;

  async function post(
    cb: StubCallback,
    name: string,
    fill: FillValues,
    messageId: string,
  ): Promise<StubCallbackRecord> {
    const context = { values: values(fill), env };
    const body = buildPayload(cb.template, context);
    const path = fillPlaceholders(cb.path, context) as string;
    const headers = fillPlaceholders(cb.headers, context) as Record<string, string>;
    const url = `${callbackBase ?? ''}${path}`;
    const record: StubCallbackRecord = { name, url, body, status: 0, messageId };
    if (!callbackBase) {
      record.error = 'no callback base: call setCallbackBase(bridgeUrl) first';
    } else {
      const { text, type } = encodeBody(body, cb.as);
      try {
        const res = await doFetch(url, {
          method: cb.method,
          headers: { 'content-type': type, ...headers },
          body: text,
        });
        record.status = res.status;
        await res.text();
      } catch (error) {
        record.error = error instanceof Error ? String(error.cause ?? error.message) : String(error);
      }
    }
    callbackLog.push(record);
    return record;
  }

  function scheduleCallbacks(messageId: string, contactId: string | undefined, fill: FillValues) {
    const scenario = scenarioFor(contactId);
    const names = manifest.scenarios[scenario] ?? [];
    const pause = scenario === 'slow' ? delayMs * 10 : delayMs;
    const run = (async () => {
      for (const name of names) {
        await sleep(pause);
        if (closing) return;
        await post(stub.callbacks[name], name, { ...fill, mId: messageId }, messageId);
      }
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
  }

  const guard = buildLocalGuard({ host: options.host, allowedHosts: options.allowedHosts });

  async function answer(req: IncomingMessage, res: ServerResponse) {
    const refusal = guard(guardInput(req.method ?? 'GET', req.headers));
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ error: { message: refusal.message } }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      // Past the limit the rest is read and dropped (the request timeout bounds how long).
      if (size <= BODY_LIMIT) chunks.push(chunk as Buffer);
    }
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    if (size > BODY_LIMIT) return send(413, { error: { message: `request body over ${BODY_LIMIT} bytes` } });
    const url = new URL(req.url ?? '/', 'http://stub');
    const body = parseBody(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
    for (const route of stub.routes) {
      if (route.method.toUpperCase() !== req.method) continue;
      const match = routePattern(route.path).exec(url.pathname);
      if (!match) continue;
      const params = { ...match.groups };
      // A token in the path (Telegram's /bot<token>/) is a secret like any other in a record.
      const secretParam = route.auth && 'pathParam' in route.auth ? params[route.auth.pathParam] : undefined;
      const record: StubRequest = {
        method: req.method ?? 'GET',
        path: secretParam ? url.pathname.split(secretParam).join(maskSecret(secretParam)) : url.pathname,
        headers: maskHeaders(req.headers),
        body,
        status: 200,
        response: undefined,
      };
      if (!authorized(route.auth, req.headers, params, env)) {
        record.status = route.unauthorized?.status ?? 401;
        record.response = route.unauthorizedTemplate
          ? buildPayload(route.unauthorizedTemplate, { values: values({}), env })
          : { error: { message: `${manifest.provider} stand-in: wrong credentials` } };
        requests.push(record);
        return send(record.status, record.response);
      }
      const fields = parseJsonFields(body, route.jsonFields);
      const recipient = route.recipient ? getPath(fields, route.recipient) : undefined;
      const raw = recipient === undefined || recipient === null ? undefined : String(recipient);
      const contactId =
        raw === undefined ? undefined : `${raw.startsWith(route.recipientPrefix) ? '' : route.recipientPrefix}${raw}`;
      const text = route.text.map((p) => getPath(fields, p)).find((v) => typeof v === 'string') as string | undefined;
      const id = newId();
      const fill: FillValues = { id, contactId, recipient: raw, text: text ?? '' };
      record.contactId = contactId;
      record.messageId = String(id);
      record.status = route.response.status;
      record.response = buildPayload(route.responseTemplate, { values: values(fill), env });
      requests.push(record);
      send(record.status, record.response);
      if (route.callbacks && record.status < 300) scheduleCallbacks(String(id), contactId, fill);
      return;
    }
    send(404, {
      error: {
        code: 'not_found',
        message: `${manifest.provider} stand-in has no recording for ${req.method} ${url.pathname}`,
      },
    });
  }

  const server = createServer(requestTimeouts(options.requestTimeoutMs), (req, res) => {
    answer(req, res).catch((error: unknown) => {
      // A client's mistake (JSON too deep) is its 4xx; anything else is the stand-in's fault.
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (!res.headersSent)
        res.writeHead(status >= 400 && status < 500 ? status : 500, { 'content-type': 'application/json' });
      const message = status < 500 ? (error as Error).message : `stand-in failed: ${String(error)}`;
      res.end(JSON.stringify({ error: { message } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  env = {
    ...(fillPlaceholders(manifest.env, { values: { url }, env: {} }) as Record<string, string>),
    ...options.env,
  };
  const available = Object.keys(manifest.scenarios) as Scenario[];

  return {
    provider: manifest.provider,
    url,
    env,
    scenarios: available,
    setCallbackBase(base: string) {
      callbackBase = base.replace(/\/+$/, '');
    },
    setScenario(contactId: string, scenario: Scenario) {
      if (!available.includes(scenario)) {
        throw usageError(
          `the ${manifest.provider} stand-in cannot play "${scenario}"`,
          available.length > 1
            ? `pick one of: ${available.join(', ')} (the provider reports no other statuses)`
            : `${manifest.provider} sends no status callbacks: leave --scenario out`,
        );
      }
      rules.set(contactId, scenario);
    },
    async injectInbound(input: InboundInput) {
      const id = newId();
      const fill: FillValues = {
        id,
        contactId: input.from,
        text: input.text,
        fromName: input.fromName ?? 'Test Contact',
      };
      const messageId = String(fillPlaceholders(stub.inbound.mId, { values: values(fill), env }));
      const record = await post(stub.inbound, 'inbound', fill, messageId);
      if (record.error || record.status >= 300) {
        throw new Error(
          `the bridge refused the ${manifest.provider} inbound push: ${record.error ?? `HTTP ${record.status}`}`,
        );
      }
      return { messageId };
    },
    requests: () => [...requests],
    callbacks: () => [...callbackLog],
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
