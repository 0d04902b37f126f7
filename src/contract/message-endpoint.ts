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
