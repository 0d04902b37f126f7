/**
 * A stand-in for respond.io's webhook, faithful to what the bridge relies on: Bearer token
 * (401), channelId of the token (400), the contract's schema (400), a 20-per-second limit per
 * channel answered 429 with Retry-After, and fault injection (a share of requests answered 500
 * or 429). It records every arrival with its time, so tests can check exactly-once delivery
 * and the rate at the receiver's side.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validatePayload } from '../../src/contract/validate.js';
import { bearerToken, safeEqual } from '../../src/secrets.js';

/** One request (a post carries one or more events of a contact). */
export interface Arrival {
  /** Receiver clock, ms (monotonic, fractional). */
  at: number;
  /** The first event's key and mId. */
  key: string;
  mId: string;
  /** Keys of every event of the post, in order. */
  keys: string[];
  status: number;
}

export interface RespondioStubOptions {
  channelId: string;
  token: string;
  /** 0..1: share of valid requests answered with a fault (500 or 429, alternately). */
  failShare?: number;
  /** Requests per rolling second before answering 429 (default 20; false: no limit). */
  rateLimit?: number | false;
  random?: () => number;
}

export interface RespondioStub {
  url: string;
  webhookUrl: string;
  arrivals: Arrival[];
  /** Arrivals answered 200, by event key (type:mId:status). */
  acceptedCounts(): Map<string, number>;
  /** Requests refused because they broke the rate limit (not injected faults). */
  rateLimited: number;
  setFailShare(share: number): void;
  close(): Promise<void>;
}

function read(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startRespondioStub(options: RespondioStubOptions): Promise<RespondioStub> {
  const random = options.random ?? Math.random;
  let failShare = options.failShare ?? 0;
  let faults = 0;
  const limit = options.rateLimit ?? 20;
  const recent: number[] = [];
  const arrivals: Arrival[] = [];
  const stub = {
    arrivals,
    rateLimited: 0,
  } as RespondioStub;

  const answer = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };

  const server = createServer(async (request, response) => {
    const at = performance.timeOrigin + performance.now();
    const text = await read(request);
    if (request.method !== 'POST' || !/^\/custom\/channel\/webhook\/?$/.test(request.url ?? '')) {
      return answer(response, 404, { error: { message: 'not found' } });
    }
    const token = bearerToken(request.headers.authorization);
    if (!token || !safeEqual(token, options.token))
      return answer(response, 401, { error: { message: 'unauthorized' } });
    let body: { channelId?: string; contactId?: string; events?: Array<Record<string, unknown>> };
    try {
      body = JSON.parse(text);
    } catch {
      return answer(response, 400, { error: { message: 'invalid JSON' } });
    }
    const events = Array.isArray(body.events) && body.events.length > 0 ? body.events : [{}];
    const keys = events.map(
      (event) => `${event.type}:${String(event.mId)}:${(event.status as { value?: string } | undefined)?.value ?? ''}`,
    );
    const mId = String(events[0].mId);
    const record = (status: number) => arrivals.push({ at, key: keys[0], mId, keys, status });
    const result = validatePayload(body, { kind: 'webhook', idType: 'phone' });
    if (!result.valid) {
      record(400);
      return answer(response, 400, { error: { message: 'invalid payload', problems: result.errors } });
    }
    if (body.channelId !== options.channelId) {
      record(400);
      return answer(response, 400, { error: { message: 'channelId does not belong to this token' } });
    }
    if (limit !== false) {
      while (recent.length > 0 && recent[0] <= at - 1000) recent.shift();
      if (recent.length >= limit) {
        stub.rateLimited += 1;
        record(429);
        return answer(response, 429, { error: { message: 'rate limit exceeded' } }, { 'retry-after': '1' });
      }
      recent.push(at);
    }
    if (failShare > 0 && random() < failShare) {
      faults += 1;
      const status = faults % 2 === 0 ? 429 : 500;
      record(status);
      return answer(
        response,
        status,
        { error: { message: 'injected fault' } },
        status === 429 ? { 'retry-after': '0' } : {},
      );
    }
    record(200);
    return answer(response, 200, { status: 'ok' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  stub.url = `http://127.0.0.1:${port}`;
  stub.webhookUrl = `${stub.url}/custom/channel/webhook/`;
  stub.acceptedCounts = () => {
    const counts = new Map<string, number>();
    for (const arrival of arrivals) {
      if (arrival.status !== 200) continue;
      for (const key of arrival.keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  stub.setFailShare = (share: number) => {
    failShare = share;
  };
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}

/** The largest number of arrivals in any window [t, t + windowMs). */
export function maxInWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[end] - sorted[start] >= windowMs) start += 1;
    worst = Math.max(worst, end - start + 1);
  }
  return worst;
}
