/**
 * What respond.io POSTs to `<API Base URL>/message` and what the server must answer
 * (contract section 4, grade A).
 */
import { z } from 'zod';
import { MessageSchema } from './messages.js';
import { MId } from './webhook.js';

export const MessageRequestSchema = z.strictObject({
  channelId: z.string().min(1, { message: 'must not be empty' }),
  contactId: z.string().min(1, { message: 'must not be empty' }).max(50),
  message: MessageSchema,
});

export const MessageSuccessSchema = z.strictObject({ mId: MId });
export const MessageErrorSchema = z.strictObject({
  error: z.looseObject({ message: z.string().min(1, { message: 'must not be empty' }) }),
});
export const MessageResponseSchema = z.union([MessageSuccessSchema, MessageErrorSchema]);

export type MessageRequest = z.infer<typeof MessageRequestSchema>;
export type MessageSuccess = z.infer<typeof MessageSuccessSchema>;
export type MessageErrorBody = z.infer<typeof MessageErrorSchema>;
export type MessageResponse = z.infer<typeof MessageResponseSchema>;

const hasOwn = Object.prototype.hasOwnProperty;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The usual request, a text message, checked without zod: exactly what MessageRequestSchema
 * accepts of that shape (three keys, non-empty strings, a contactId of at most 50), copied the
 * way zod copies it. Anything else is undefined and goes through the schema.
 */
function plainTextRequest(body: unknown): MessageRequest | undefined {
  if (!isRecord(body) || Object.keys(body).length !== 3) return undefined;
  if (!hasOwn.call(body, 'channelId') || !hasOwn.call(body, 'contactId') || !hasOwn.call(body, 'message')) {
    return undefined;
  }
  const { channelId, contactId, message } = body;
  if (typeof channelId !== 'string' || channelId.length === 0) return undefined;
  if (typeof contactId !== 'string' || contactId.length === 0 || contactId.length > 50) return undefined;
  if (!isRecord(message) || Object.keys(message).length !== 2 || !hasOwn.call(message, 'text')) return undefined;
  const { type, text } = message;
  if (type !== 'text' || typeof text !== 'string' || text.length === 0) return undefined;
  return { channelId, contactId, message: { type, text } };
}

/**
 * `MessageRequestSchema.safeParse`, with the common text message checked by hand first (it is
 * parsed on every `/message`).
 * @example parseMessageRequest(JSON.parse(body)).success
 */
export function parseMessageRequest(body: unknown): ReturnType<typeof MessageRequestSchema.safeParse> {
  const data = plainTextRequest(body);
  return data ? { success: true, data } : MessageRequestSchema.safeParse(body);
}
