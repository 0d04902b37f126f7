/**
 * The Developer API routes a Custom Channel developer uses to find things: the workspace's
 * channels (`channelId` for send bodies), its users (clients call `GET /space/user` as a
 * health check) and contacts (get, create, create-or-update, the channels a contact is on).
 *
 * Emulator choices: a contact is one record per channel here, so `GET /contact/...` answers
 * the first channel's record and `/channels` lists every channel that has one; a contact
 * created through the API lands on the first Phone Number channel when it has a phone (its
 * phone is its channel ID there), else on the first channel under a generated Custom ID;
 * `created_at` is in seconds; one emulated user, the workspace owner.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type ContactIdentifier,
  type DevApiContactFields,
  DevApiContactFieldsSchema,
} from '../contract/developer-api.js';
import { formatProblem, problemsOf } from '../contract/problems.js';
import type { Contact } from '../contract/webhook.js';
import type { EmulatorCore } from './core.js';
import { EMULATOR_USER, fail, findContact, findContacts, identifierOf } from './dev-api-shared.js';
import type { ContactRecord, EmulatorChannel } from './types.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

function toApiChannel(channel: EmulatorChannel, createdAt: number) {
  return {
    id: channel.numericId,
    name: channel.name ?? `Custom Channel ${channel.numericId}`,
    source: 'custom_channel',
    created_at: seconds(createdAt),
  };
}

function toApiContact(record: ContactRecord) {
  const p = record.profile;
  return {
    id: record.id,
    firstName: p.firstName ?? '',
    lastName: p.lastName ?? null,
    phone: p.phone ?? (record.contactId.startsWith('+') ? record.contactId : null),
    email: p.email ?? null,
    language: p.language ?? null,
    profilePic: p.profilePic ?? null,
    countryCode: p.countryCode ?? null,
    custom_fields: [],
    status: 'open',
    tags: [],
    assignee: null,
    lifecycle: null,
    created_at: seconds(record.createdAt),
  };
}

/** `{ items, pagination }` over an id-ordered list, `cursorId` being the last id of the previous page. */
function page<T extends { id: number }>(request: FastifyRequest, reply: FastifyReply, all: T[]) {
  const query = request.query as { limit?: string; cursorId?: string };
  const limit = query.limit === undefined ? 10 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    fail(reply, 400, 'limit must be an integer from 1 to 100');
    return undefined;
  }
  const cursor = query.cursorId === undefined || query.cursorId === '' ? undefined : Number(query.cursorId);
  if (cursor !== undefined && !Number.isInteger(cursor)) {
    fail(reply, 400, 'cursorId must be an integer');
    return undefined;
  }
  const rest = all.filter((item) => cursor === undefined || item.id > cursor);
  const items = rest.slice(0, limit);
  const base = `${request.protocol}://${request.host}${request.url.split('?')[0]}`;
  const next = rest.length > limit ? `${base}?limit=${limit}&cursorId=${items[items.length - 1].id}` : '';
  return { items, pagination: { next, previous: '' } };
}

function contactFields(request: FastifyRequest, reply: FastifyReply): DevApiContactFields | undefined {
  const parsed = DevApiContactFieldsSchema.safeParse(request.body ?? {});
  if (parsed.success) return parsed.data;
  const problems = problemsOf(parsed.error, request.body);
  fail(reply, 400, problems.map(formatProblem).join('; '), { problems });
  return undefined;
}

/** The webhook-style profile the store keeps, from the API's fields (nulls clear nothing here). */
function profileOf(fields: DevApiContactFields, id: ContactIdentifier): Contact {
  const profile: Record<string, unknown> = {};
  for (const key of ['firstName', 'lastName', 'phone', 'email', 'language', 'profilePic', 'countryCode'] as const) {
    if (fields[key] != null) profile[key] = fields[key];
  }
  if (id.kind === 'phone') profile.phone ??= id.value;
  if (id.kind === 'email') profile.email ??= id.value;
  return profile as Contact;
}

/** Where a new contact goes: its phone on a Phone Number channel, else a generated Custom ID. */
function placeNewContact(core: EmulatorCore, profile: Contact): { channel: EmulatorChannel; contactId: string } {
  const phoneChannel = core.channels.find((c) => c.idType === 'phone');
  if (profile.phone && phoneChannel) return { channel: phoneChannel, contactId: profile.phone };
  const customChannel = core.channels.find((c) => c.idType !== 'phone') ?? core.channels[0];
  return { channel: customChannel, contactId: `api-${core.store.listContacts().length + 1}` };
}

function upsert(core: EmulatorCore, _id: ContactIdentifier, profile: Contact, existing?: ContactRecord): ContactRecord {
  if (existing) return core.store.ensureContact(existing.channelId, existing.contactId, profile);
  const { channel, contactId } = placeNewContact(core, profile);
  return core.store.ensureContact(channel.channelId, contactId, profile);
}

/** Registers the directory routes inside the `/v2` plugin (after its token and rate-limit gate). */
export function registerDirectory(v2: FastifyInstance, core: EmulatorCore): void {
  const startedAt = Date.now();

  v2.get('/space/channel', async (request, reply) =>
    page(
      request,
      reply,
      core.channels.map((c) => toApiChannel(c, startedAt)),
    ),
  );

  v2.get('/space/user', async (request, reply) => page(request, reply, [EMULATOR_USER]));

  v2.get('/contact/:identifier', async (request, reply) => {
    const identifier = identifierOf(request, reply);
    if (!identifier) return reply;
    const contact = findContact(core, identifier);
    return contact ? toApiContact(contact) : fail(reply, 404, 'contact not found');
  });

  v2.get('/contact/:identifier/channels', async (request, reply) => {
    const identifier = identifierOf(request, reply);
    if (!identifier) return reply;
    const records = findContacts(core, identifier);
    if (records.length === 0) return fail(reply, 404, 'contact not found');
    const items = records.map((record) => {
      const [last] = core.store.listMessages({ channelId: record.channelId, contactId: record.contactId, limit: 1 });
      const [lastIn] = core.store.listMessages({
        channelId: record.channelId,
        contactId: record.contactId,
        traffic: 'incoming',
        limit: 1,
      });
      return {
        ...toApiChannel(core.channel(record.channelId), startedAt),
        ...(last ? { lastMessageTime: seconds(last.createdAt) } : {}),
        ...(lastIn ? { lastIncomingMessageTime: seconds(lastIn.createdAt) } : {}),
      };
    });
    return page(request, reply, items);
  });

  v2.post('/contact/:identifier', async (request, reply) => {
    const identifier = identifierOf(request, reply);
    if (!identifier) return reply;
    if (identifier.kind === 'id')
      return fail(reply, 400, 'a contact is created by email:<address> or phone:<E.164>, not id:');
    const fields = contactFields(request, reply);
    if (!fields) return reply;
    if (findContact(core, identifier)) return fail(reply, 409, 'contact already exists (use create_or_update)');
    const record = upsert(core, identifier, profileOf(fields, identifier));
    return { code: 200, message: 'contact created', contactId: record.id };
  });

  v2.post('/contact/create_or_update/:identifier', async (request, reply) => {
    const identifier = identifierOf(request, reply);
    if (!identifier) return reply;
    const fields = contactFields(request, reply);
    if (!fields) return reply;
    const existing = findContact(core, identifier);
    if (!existing && identifier.kind === 'id') return fail(reply, 404, 'contact not found');
    const record = upsert(core, identifier, profileOf(fields, identifier), existing);
    return { contactId: record.id };
  });
}
