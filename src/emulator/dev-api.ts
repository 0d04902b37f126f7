/**
 * The Developer API v2 subset under `/v2` (contract section 5): start an outgoing message for a
 * contact and read its status history; the directory routes are in dev-api-directory.ts.
 *
 * Emulator choices: errors are `{ code, message, problems? }`; 10 requests per second per token
 * (`X-RateLimit-Limit`/`-Remaining` on every answer, 429 with `Retry-After`), checked with the
 * token before routing, so a wrong token is 401 on any path; routes respond.io has but the
 * emulator does not are 501; a bodyless request with `Content-Type: application/json` (the SDK
 * sends one on GET and DELETE) is accepted; `email:` finds a contact by the `email` it was
 * created with; `phone:` on a Phone Number channel creates the contact when new (the business
 * may write first); a send without `channelId` goes to the channel the contact last
 * interacted on; `channelMessageId` is `""` until `/message` answers; `pagination.next` is the
 * URL of the next page, `""` on the last page, and `previous` is `""`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ContactIdentifier, DevApiMessage } from '../contract/developer-api.js';
import { formatProblem } from '../contract/problems.js';
import { validatePayload } from '../contract/validate.js';
import { bearerToken, safeEqual } from '../secrets.js';
import type { EmulatorCore } from './core.js';
import { registerDirectory } from './dev-api-directory.js';
import { EMULATOR_USER, fail, findContact, findContacts, identifierOf } from './dev-api-shared.js';
import { EmulatorInputError } from './outgoing.js';
import type { EmulatorChannel, MessageRecord } from './types.js';

/** Who sent an outgoing message, as respond.io's SDK types it; incoming messages have none. */
function senderOf(record: MessageRecord): Pick<DevApiMessage, 'sender'> {
  if (record.traffic !== 'outgoing') return {};
  switch (record.origin) {
    case 'user':
      return { sender: { source: 'user', userId: EMULATOR_USER.id } };
    case 'dev-api':
      return { sender: { source: 'api' } };
    case 'broadcast':
      return {
        sender: { source: 'broadcast', ...(record.broadcastId ? { broadcastHistoryId: record.broadcastId } : {}) },
      };
    case 'echo':
      return { sender: { source: 'echo' } };
  }
}

/** The Developer API's view of one stored message. */
export function toDevApiMessage(core: EmulatorCore, record: MessageRecord): DevApiMessage {
  const channel = core.channel(record.channelId);
  return {
    messageId: record.messageId,
    channelMessageId: record.mId ?? '',
    contactId: record.contactNumericId,
    channelId: channel.numericId,
    traffic: record.traffic,
    message: record.message,
    ...senderOf(record),
    status: record.statuses.map((s) => ({
      value: s.value,
      timestamp: s.timestamp,
      ...(s.message === undefined ? {} : { message: s.message }),
    })),
  };
}

/** The channel a contact last had a message on (a send without `channelId`). */
function lastInteracted(core: EmulatorCore, id: ContactIdentifier): EmulatorChannel | undefined {
  let best: { channelId: string; messageId: number } | undefined;
  for (const contact of findContacts(core, id)) {
    const [latest] = core.store.listMessages({ channelId: contact.channelId, contactId: contact.contactId, limit: 1 });
    if (latest && (!best || latest.messageId > best.messageId)) best = latest;
  }
  return best ? core.channel(best.channelId) : undefined;
}

async function gate(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply) {
  const token = bearerToken(request.headers.authorization);
  if (!token || !safeEqual(token, core.devApiToken)) {
    return fail(
      reply,
      401,
      token ? 'invalid access token' : 'missing or malformed Authorization: Bearer <access token>',
    );
  }
  const decision = core.devApiLimiter.take(token);
  reply.header('x-ratelimit-limit', String(decision.limit));
  reply.header('x-ratelimit-remaining', String(decision.remaining));
  if (!decision.allowed) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
    return fail(reply, 429, 'too many requests');
  }
  return undefined;
}

/** Registers `/v2/contact/:identifier/message` and its GET routes. */
export function registerDevApi(app: FastifyInstance, core: EmulatorCore): void {
  app.register(
    async (v2) => {
      v2.addHook('onRequest', (request, reply) => gate(core, request, reply));
      // The SDK sends `Content-Type: application/json` with no body on GET and DELETE.
      v2.removeContentTypeParser('application/json');
      v2.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
        if (text === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text as string));
        } catch (error) {
          const parseError = error as Error & { statusCode?: number };
          parseError.statusCode = 400;
          done(parseError, undefined);
        }
      });
      registerDirectory(v2, core);
      // After the gate, so a wrong token on any path is 401, and a route respond.io has but the emulator lacks is not a 404.
      v2.all('/*', async (request, reply) =>
        fail(
          reply,
          501,
          `${request.method} ${request.url.split('?')[0]} is not emulated (see the README's Developer API list)`,
        ),
      );

      v2.post('/contact/:identifier/message', async (request, reply) => {
        const identifier = identifierOf(request, reply);
        if (!identifier) return reply;
        const result = validatePayload(request.body, { kind: 'dev-api-send', strict: core.strict });
        if (!result.valid) {
          return fail(reply, 400, result.errors.map(formatProblem).join('; '), { problems: result.errors });
        }
        const body = request.body as { channelId?: number | null; message: MessageRecord['message'] };
        const channel =
          body.channelId == null ? lastInteracted(core, identifier) : core.channelByNumericId(body.channelId);
        if (!channel) {
          return body.channelId == null
            ? fail(
                reply,
                404,
                'the contact has no last interacted channel: give channelId (GET /v2/space/channel lists them)',
              )
            : fail(reply, 404, `channel ${body.channelId} not found (GET /v2/space/channel lists them)`);
        }
        const contact = findContact(core, identifier, channel);
        let contactId = contact?.contactId;
        if (!contactId && identifier.kind === 'phone' && channel.idType === 'phone') contactId = identifier.value;
        if (!contactId) return fail(reply, 404, 'contact not found on this channel');
        try {
          const started = core.start({ channelId: channel.channelId, contactId, message: body.message }, 'dev-api');
          return { messageId: started.record.messageId };
        } catch (error) {
          if (error instanceof EmulatorInputError) {
            return fail(reply, error.status, error.message, error.problems.length ? { problems: error.problems } : {});
          }
          throw error;
        }
      });

      v2.get('/contact/:identifier/message/list', async (request, reply) => {
        const identifier = identifierOf(request, reply);
        if (!identifier) return reply;
        const query = request.query as { limit?: string; cursorId?: string };
        const limit = query.limit === undefined ? 10 : Number(query.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100)
          return fail(reply, 400, 'limit must be an integer from 1 to 100');
        const cursor = query.cursorId === undefined || query.cursorId === '' ? undefined : Number(query.cursorId);
        if (cursor !== undefined && !Number.isInteger(cursor)) return fail(reply, 400, 'cursorId must be an integer');
        const contact = findContact(core, identifier);
        if (!contact) return fail(reply, 404, 'contact not found');
        const page = core.store.listMessages({
          contactId: contact.contactId,
          channelId: contact.channelId,
          before: cursor,
          limit: limit + 1,
        });
        const items = page.slice(0, limit).map((record) => toDevApiMessage(core, record));
        const raw = (request.params as { identifier: string }).identifier;
        const base = `${request.protocol}://${request.host}/v2/contact/${encodeURIComponent(raw)}/message/list`;
        const next = page.length > limit ? `${base}?limit=${limit}&cursorId=${items[items.length - 1].messageId}` : '';
        return { items, pagination: { next, previous: '' } };
      });

      v2.get('/contact/:identifier/message/:messageId', async (request, reply) => {
        const identifier = identifierOf(request, reply);
        if (!identifier) return reply;
        const messageId = Number((request.params as { messageId: string }).messageId);
        const record = Number.isInteger(messageId) ? core.store.getMessage(messageId) : undefined;
        const contact = findContact(core, identifier, record ? core.channel(record.channelId) : undefined);
        if (!record || !contact || record.contactNumericId !== contact.id) return fail(reply, 404, 'message not found');
        return toDevApiMessage(core, record);
      });
    },
    { prefix: '/v2' },
  );
}
