/**
 * The Developer API v2 subset under `/v2` (contract section 5): start an outgoing message for a
 * contact and read its status history.
 *
 * Emulator choices: errors are `{ code, message, problems? }`; 10 requests per second per token
 * (`X-RateLimit-Limit`/`-Remaining` on every answer, 429 with `Retry-After`); `email:` finds a
 * contact by the `email` it was created with; `phone:` on a Phone Number channel creates the
 * contact when new (the business may write first); `pagination.next` is the URL of the next
 * page and `previous` is null.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ContactIdentifier, type DevApiMessage, parseContactIdentifier } from '../contract/developer-api.js';
import { formatProblem } from '../contract/problems.js';
import { validatePayload } from '../contract/validate.js';
import { bearerToken, safeEqual } from '../secrets.js';
import type { EmulatorCore } from './core.js';
import { EmulatorInputError } from './outgoing.js';
import type { ContactRecord, EmulatorChannel, MessageRecord } from './types.js';

function fail(reply: FastifyReply, code: number, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(code).send({ code, message, ...extra });
}

/** The Developer API's view of one stored message. */
export function toDevApiMessage(core: EmulatorCore, record: MessageRecord): DevApiMessage {
  const channel = core.channel(record.channelId);
  return {
    messageId: record.messageId,
    channelMessageId: record.mId,
    contactId: record.contactNumericId,
    channelId: channel.numericId,
    traffic: record.traffic,
    message: record.message,
    status: record.statuses.map((s) => ({
      value: s.value,
      timestamp: s.timestamp,
      ...(s.message === undefined ? {} : { message: s.message }),
    })),
  };
}

function findContact(core: EmulatorCore, id: ContactIdentifier, channel?: EmulatorChannel): ContactRecord | undefined {
  const contacts = core.store.listContacts(channel?.channelId);
  if (id.kind === 'id') return core.store.contactById(id.value);
  if (id.kind === 'email') return contacts.find((c) => c.profile.email?.toLowerCase() === id.value.toLowerCase());
  return contacts.find((c) => c.contactId === id.value || c.profile.phone === id.value);
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

function identifierOf(request: FastifyRequest, reply: FastifyReply): ContactIdentifier | undefined {
  const raw = (request.params as { identifier: string }).identifier;
  const parsed = parseContactIdentifier(raw);
  if (!parsed)
    fail(
      reply,
      400,
      `invalid contact identifier ${JSON.stringify(raw)} (use id:<n>, email:<address> or phone:<E.164>)`,
    );
  return parsed;
}

/** Registers `/v2/contact/:identifier/message` and its GET routes. */
export function registerDevApi(app: FastifyInstance, core: EmulatorCore): void {
  app.register(
    async (v2) => {
      v2.addHook('onRequest', (request, reply) => gate(core, request, reply));

      v2.post('/contact/:identifier/message', async (request, reply) => {
        const identifier = identifierOf(request, reply);
        if (!identifier) return reply;
        const result = validatePayload(request.body, { kind: 'dev-api-send', strict: core.strict });
        if (!result.valid) {
          return fail(reply, 400, result.errors.map(formatProblem).join('; '), { problems: result.errors });
        }
        const body = request.body as { channelId: number; message: MessageRecord['message'] };
        const channel = core.channelByNumericId(body.channelId);
        if (!channel) return fail(reply, 404, `channel ${body.channelId} not found`);
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
        const next =
          page.length > limit ? `${base}?limit=${limit}&cursorId=${items[items.length - 1].messageId}` : null;
        return { items, pagination: { next, previous: null } };
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
