/** Pieces the Developer API's route files share: the error answer, identifiers, contact look-up. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ContactIdentifier, parseContactIdentifier } from '../contract/developer-api.js';
import type { EmulatorCore } from './core.js';
import type { ContactRecord, EmulatorChannel } from './types.js';

/** The one user of the emulated workspace. */
export const EMULATOR_USER = {
  id: 1,
  firstName: 'Emulator',
  lastName: 'Owner',
  email: 'owner@emulator.invalid',
  role: 'owner',
  team: null,
  restrictions: [],
} as const;

export function fail(reply: FastifyReply, code: number, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(code).send({ code, message, ...extra });
}

/** Every channel's record of the contact an identifier names (respond.io has one contact across channels). */
export function findContacts(core: EmulatorCore, id: ContactIdentifier, channel?: EmulatorChannel): ContactRecord[] {
  if (id.kind === 'id') {
    const found = core.store.contactById(id.value);
    return found && (!channel || found.channelId === channel.channelId) ? [found] : [];
  }
  const contacts = core.store.listContacts(channel?.channelId);
  if (id.kind === 'email') return contacts.filter((c) => c.profile.email?.toLowerCase() === id.value.toLowerCase());
  return contacts.filter((c) => c.contactId === id.value || c.profile.phone === id.value);
}

export function findContact(
  core: EmulatorCore,
  id: ContactIdentifier,
  channel?: EmulatorChannel,
): ContactRecord | undefined {
  return findContacts(core, id, channel)[0];
}

export function identifierOf(request: FastifyRequest, reply: FastifyReply): ContactIdentifier | undefined {
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
