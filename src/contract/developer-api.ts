/**
 * The subset of respond.io's Developer API v2 that a Custom Channel developer needs: start and
 * follow an outgoing message, find the channel and the contact (contract section 5, grade B).
 * Request schemas are as strict as respond.io's documentation; response schemas accept what
 * respond.io's official SDK types allow (numeric `channelMessageId`, `sender`, no `status`,
 * string pagination cursors), since `send --live` parses real answers with them.
 */
import { z } from 'zod';
import { PHONE_E164 } from './ids.js';
import { MessageSchema } from './messages.js';

export { DEFAULT_DEVELOPER_API_URL } from './constants.js';

export const devApiStatusValues = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
export type DevApiStatusValue = (typeof devApiStatusValues)[number];

export const DevApiSendBodySchema = z.strictObject({
  /** Omitted or null: the channel the contact last interacted on (respond.io's SDK types it `number | null`). */
  channelId: z
    .int({ error: 'must be an integer (the channel ID of the Developer API), null or omitted' })
    .positive()
    .nullable()
    .optional(),
  message: MessageSchema,
});
export const DevApiSendResponseSchema = z.strictObject({ messageId: z.int().positive() });

export const DevApiStatusSchema = z.strictObject({
  value: z.enum(devApiStatusValues),
  timestamp: z.int(),
  message: z.string().optional(),
});

/** Who sent a message (SDK >= 1.1). */
export const DevApiSenderSchema = z.looseObject({
  source: z.string(),
  userId: z.int().optional(),
  teamId: z.int().optional(),
  workflowId: z.int().optional(),
  broadcastHistoryId: z.int().optional(),
});

export const DevApiMessageSchema = z.looseObject({
  messageId: z.int(),
  /**
   * The provider's id (a Custom Channel's `mId`); a string or a number in the SDK, never null
   * there. The emulator answers `""` while `/message` is in flight; `null` and absent are
   * accepted from a real respond.io all the same.
   */
  channelMessageId: z.union([z.string(), z.number()]).nullable().optional(),
  contactId: z.int(),
  channelId: z.int(),
  traffic: z.enum(['outgoing', 'incoming']),
  /** Looser than the send union: respond.io stores message types a Custom Channel never sends. */
  message: z.looseObject({ type: z.string() }),
  status: z.array(DevApiStatusSchema).optional(),
  sender: DevApiSenderSchema.optional(),
});

/** `next`/`previous` are strings in the SDK: a URL, or empty when there is no such page. */
export const DevApiPaginationSchema = z.looseObject({
  next: z.string().nullable().optional(),
  previous: z.string().nullable().optional(),
});

export const DevApiMessageListSchema = z.looseObject({
  items: z.array(DevApiMessageSchema),
  pagination: DevApiPaginationSchema,
});

/** respond.io's error body. `code` is not always the HTTP status (nor always a number): judge by the status. */
export const DevApiErrorSchema = z.looseObject({
  code: z.union([z.int(), z.string()]).optional(),
  message: z.string(),
});

/** A channel of the workspace (`GET /space/channel`): `id` is the `channelId` of send bodies. */
export const DevApiSpaceChannelSchema = z.looseObject({
  id: z.int(),
  name: z.string(),
  source: z.string(),
  created_at: z.number(),
});

/** A contact (`GET /contact/{identifier}`). */
export const DevApiContactSchema = z.looseObject({
  id: z.int(),
  firstName: z.string(),
  lastName: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  language: z.string().nullable().optional(),
  profilePic: z.string().nullable().optional(),
  countryCode: z.string().nullable().optional(),
  created_at: z.number(),
});

const nullableText = z.string().nullable().optional();

/** The body of `POST /contact/{identifier}` and `/contact/create_or_update/{identifier}`. */
export const DevApiContactFieldsSchema = z.strictObject({
  firstName: z
    .string({ error: "must be a string (the contact's first name)" })
    .min(1, { message: 'must not be empty' }),
  lastName: nullableText,
  phone: z
    .string()
    .regex(PHONE_E164, { message: 'must be E.164 with a leading "+", e.g. +60177872890' })
    .nullable()
    .optional(),
  email: z.email({ message: 'must be an email address' }).nullable().optional(),
  language: nullableText,
  profilePic: nullableText,
  countryCode: nullableText,
  custom_fields: z
    .array(z.strictObject({ name: z.string(), value: z.union([z.string(), z.number(), z.boolean(), z.null()]) }))
    .nullable()
    .optional(),
});

/** A channel a contact is on (`GET /contact/{identifier}/channels`). */
export const DevApiContactChannelSchema = DevApiSpaceChannelSchema.extend({
  lastMessageTime: z.number().optional(),
  lastIncomingMessageTime: z.number().optional(),
});

/** A user of the workspace (`GET /space/user`; clients call it as a health check). */
export const DevApiSpaceUserSchema = z.looseObject({
  id: z.int(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  role: z.string(),
});

/** `{ items, pagination }` of any list route. */
export function devApiListSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ items: z.array(item), pagination: DevApiPaginationSchema });
}

export type DevApiSendBody = z.infer<typeof DevApiSendBodySchema>;
export type DevApiSendResponse = z.infer<typeof DevApiSendResponseSchema>;
export type DevApiStatus = z.infer<typeof DevApiStatusSchema>;
export type DevApiMessage = z.infer<typeof DevApiMessageSchema>;
export type DevApiMessageList = z.infer<typeof DevApiMessageListSchema>;
export type DevApiError = z.infer<typeof DevApiErrorSchema>;
export type DevApiSpaceChannel = z.infer<typeof DevApiSpaceChannelSchema>;
export type DevApiContact = z.infer<typeof DevApiContactSchema>;
export type DevApiContactFields = z.infer<typeof DevApiContactFieldsSchema>;
export type DevApiContactChannel = z.infer<typeof DevApiContactChannelSchema>;
export type DevApiSpaceUser = z.infer<typeof DevApiSpaceUserSchema>;

export type ContactIdentifier =
  | { kind: 'id'; value: number }
  | { kind: 'email'; value: string }
  | { kind: 'phone'; value: string };

/**
 * Parses a Developer API contact identifier, URL-encoded or not.
 * @example parseContactIdentifier('phone:%2B60177872890') // { kind: 'phone', value: '+60177872890' }
 */
export function parseContactIdentifier(raw: string): ContactIdentifier | undefined {
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const kind = text.slice(0, colon);
  const value = text.slice(colon + 1);
  if (kind === 'id' && /^\d+$/.test(value)) return { kind, value: Number(value) };
  if (kind === 'email' && /^[^\s@]+@[^\s@]+$/.test(value)) return { kind, value };
  // A '+' that arrived unencoded in a query-like path may have become a space.
  const phone = value.replace(/^ /, '+');
  if (kind === 'phone' && PHONE_E164.test(phone)) return { kind, value: phone };
  return undefined;
}
