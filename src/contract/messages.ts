/**
 * The message union shared by both directions (contract sections 3 and 4). Grade C parts
 * (location, attachment `description`, quick replies and custom payloads sent inbound) are
 * accepted here and reported as warnings by `validatePayload`.
 */
import { z } from 'zod';

import { type AttachmentType, attachmentTypes, type MessageType, messageTypes } from './constants.js';

export { type AttachmentType, attachmentTypes, type MessageType, messageTypes };

const httpUrl = z
  .string({ error: 'must be a string (a public http(s) URL)' })
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value), { message: 'must be a public http(s) URL' });

export const AttachmentSchema = z.strictObject({
  type: z.enum(attachmentTypes),
  url: httpUrl,
  mimeType: z.string().min(1).optional(),
  fileName: z.string().min(1).optional(),
  description: z.string().optional(),
});

export const TextMessageSchema = z.strictObject({
  type: z.literal('text'),
  text: z.string().min(1, { message: 'must not be empty' }),
});
export const AttachmentMessageSchema = z.strictObject({
  type: z.literal('attachment'),
  attachment: AttachmentSchema,
});
export const LocationMessageSchema = z.strictObject({
  type: z.literal('location'),
  latitude: z.number(),
  longitude: z.number(),
  address: z.string().optional(),
});
export const QuickReplyMessageSchema = z.strictObject({
  type: z.literal('quick_reply'),
  title: z.string().min(1, { message: 'must not be empty' }),
  replies: z
    .array(z.string().min(1, { message: 'must not be empty' }))
    .min(1, { message: 'must hold at least one reply' })
    .max(10, { message: 'must hold at most 10 replies' }),
});
export const CustomPayloadMessageSchema = z.strictObject({
  type: z.literal('custom_payload'),
  payload: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }),
});

export const MessageSchema = z.discriminatedUnion('type', [
  TextMessageSchema,
  AttachmentMessageSchema,
  LocationMessageSchema,
  QuickReplyMessageSchema,
  CustomPayloadMessageSchema,
]);

export type Attachment = z.infer<typeof AttachmentSchema>;
export type TextMessage = z.infer<typeof TextMessageSchema>;
export type AttachmentMessage = z.infer<typeof AttachmentMessageSchema>;
export type LocationMessage = z.infer<typeof LocationMessageSchema>;
export type QuickReplyMessage = z.infer<typeof QuickReplyMessageSchema>;
export type CustomPayloadMessage = z.infer<typeof CustomPayloadMessageSchema>;
export type Message = z.infer<typeof MessageSchema>;
