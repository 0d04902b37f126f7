/**
 * The body an integration server POSTs to respond.io's webhook (contract section 3).
 */
import { z } from 'zod';
import { statusValues } from './constants.js';
import { PHONE_E164 } from './ids.js';
import { MessageSchema } from './messages.js';

export {
  DEFAULT_WEBHOOK_URL,
  type EventType,
  eventTypes,
  type StatusValue,
  statusValues,
  WEBHOOK_PATH,
} from './constants.js';

export const MId = z
  .string({ error: 'must be a string (the provider message ID)' })
  .min(1, { message: 'must not be empty' })
  .max(50);
export const EpochMillis = z.int({ error: 'must be an integer: Unix epoch milliseconds' });

export const StatusSchema = z.strictObject({
  value: z.enum(statusValues),
  message: z.string().optional(),
});

export const MessageEventSchema = z.strictObject({
  type: z.literal('message'),
  mId: MId,
  timestamp: EpochMillis,
  message: MessageSchema,
});
export const EchoEventSchema = z.strictObject({
  type: z.literal('message_echo'),
  mId: MId,
  timestamp: EpochMillis,
  message: MessageSchema,
});
export const StatusEventSchema = z.strictObject({
  type: z.literal('message_status'),
  mId: MId,
  timestamp: EpochMillis,
  status: StatusSchema,
});
export const EventSchema = z.discriminatedUnion('type', [MessageEventSchema, EchoEventSchema, StatusEventSchema]);

export const ContactSchema = z.strictObject({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  profilePic: z
    .string()
    .refine((v) => /^https?:\/\/\S+$/i.test(v), { message: 'must be an http(s) URL' })
    .optional(),
  countryCode: z
    .string()
    .regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 code, e.g. MY' })
    .optional(),
  email: z.email({ message: 'must be an email address' }).optional(),
  phone: z.string().regex(PHONE_E164, { message: 'must be E.164 with a leading "+", e.g. +60177872890' }).optional(),
  language: z
    .string()
    .regex(/^[a-z]{2}$/, { message: 'must be an ISO 639-1 code, e.g. en' })
    .optional(),
  /** In respond.io's own example payload (`en_US`); what respond.io does with it is undocumented. */
  locale: z
    .string()
    .regex(/^[a-z]{2,3}([_-][A-Za-z]{2,4})*$/, { message: 'must be a locale such as en_US' })
    .optional(),
  /** UTC offset in hours, as in respond.io's own example payload (`8`). */
  timezone: z
    .number({ error: 'must be a number (UTC offset in hours, e.g. 8)' })
    .min(-12, { message: 'must be a UTC offset from -12 to 14 hours' })
    .max(14, { message: 'must be a UTC offset from -12 to 14 hours' })
    .optional(),
});

export const WebhookBodySchema = z.strictObject({
  channelId: z.string().min(1, { message: 'must not be empty' }),
  contactId: z.string().min(1, { message: 'must not be empty' }).max(50),
  events: z.array(EventSchema).min(1, { message: 'must hold at least one event' }),
  contact: ContactSchema.optional(),
});

export type Status = z.infer<typeof StatusSchema>;
export type MessageEvent = z.infer<typeof MessageEventSchema>;
export type EchoEvent = z.infer<typeof EchoEventSchema>;
export type StatusEvent = z.infer<typeof StatusEventSchema>;
export type WebhookEvent = z.infer<typeof EventSchema>;
export type Contact = z.infer<typeof ContactSchema>;
export type WebhookBody = z.infer<typeof WebhookBodySchema>;
