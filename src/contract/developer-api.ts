/**
 * The subset of respond.io's Developer API v2 that starts and follows an outgoing message
 * (contract section 5, grade B).
 */
import { z } from 'zod';
import { PHONE_E164 } from './ids.js';
import { MessageSchema } from './messages.js';

export { DEFAULT_DEVELOPER_API_URL } from './constants.js';

export const devApiStatusValues = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
export type DevApiStatusValue = (typeof devApiStatusValues)[number];

export const DevApiSendBodySchema = z.strictObject({
  channelId: z.int({ error: 'must be an integer (the channel ID of the Developer API)' }).positive(),
  message: MessageSchema,
});
export const DevApiSendResponseSchema = z.strictObject({ messageId: z.int().positive() });

export const DevApiStatusSchema = z.strictObject({
  value: z.enum(devApiStatusValues),
  timestamp: z.int(),
  message: z.string().optional(),
});

export const DevApiMessageSchema = z.strictObject({
  messageId: z.int(),
  channelMessageId: z.string().nullable(),
  contactId: z.int(),
  channelId: z.int(),
  traffic: z.enum(['outgoing', 'incoming']),
  message: MessageSchema,
  status: z.array(DevApiStatusSchema),
});

export const DevApiMessageListSchema = z.strictObject({
  items: z.array(DevApiMessageSchema),
  pagination: z.looseObject({
    next: z.string().nullable().optional(),
    previous: z.string().nullable().optional(),
  }),
});

export const DevApiErrorSchema = z.looseObject({ code: z.int(), message: z.string() });

export type DevApiSendBody = z.infer<typeof DevApiSendBodySchema>;
export type DevApiSendResponse = z.infer<typeof DevApiSendResponseSchema>;
export type DevApiStatus = z.infer<typeof DevApiStatusSchema>;
export type DevApiMessage = z.infer<typeof DevApiMessageSchema>;
export type DevApiMessageList = z.infer<typeof DevApiMessageListSchema>;
export type DevApiError = z.infer<typeof DevApiErrorSchema>;

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
