/**
 * Limits every server of the project applies to what clients send: a whole request (headers and
 * body) must arrive within `requestTimeoutMs`, and JSON may nest at most MAX_JSON_DEPTH levels.
 * Without them a client dribbling one byte a second held a connection for minutes (Node's
 * default is 300 s; Fastify's is no limit), and deep JSON made the servers answer 500.
 * Responses are not limited: event streams stay open as long as the client reads them.
 */
import type { ServerOptions } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { depthExceededAt, JsonTooDeepError, MAX_JSON_DEPTH } from './json-depth.js';

/** A request (headers and body) must be received within 10 s: respond.io's bodies are small. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Options for `http.createServer` (and Fastify's `http`): Node answers 408 and closes the
 * connection when a request is not received in time. Node checks every
 * `connectionsCheckingInterval` (default 30 s, which would let a slow body run 40 s).
 * @example http.createServer(requestTimeouts(), handler)
 */
export function requestTimeouts(requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): ServerOptions {
  const ms = Math.max(1, Math.floor(requestTimeoutMs));
  return {
    requestTimeout: ms,
    headersTimeout: ms,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(ms / 4))),
  };
}

/**
 * Spread into `Fastify({...})`: Fastify sets the server's `requestTimeout` itself, so it is given
 * at both levels.
 * @example const app = Fastify({ ...fastifyTimeouts(options.requestTimeoutMs), logger: false })
 */
export function fastifyTimeouts(requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): {
  requestTimeout: number;
  http: ServerOptions;
} {
  const http = requestTimeouts(requestTimeoutMs);
  return { requestTimeout: http.requestTimeout as number, http };
}

/**
 * Replaces Fastify's JSON parser by one that refuses JSON nested deeper than `limit` (400
 * naming the limit) and otherwise is Fastify's own (prototype-poisoning keys refused).
 * @example limitJsonDepth(app)
 */
export function limitJsonDepth(app: FastifyInstance, limit = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  if (app.hasContentTypeParser('application/json')) app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const at = depthExceededAt(body as string, limit);
    if (at >= 0) {
      done(new JsonTooDeepError(limit, at), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
