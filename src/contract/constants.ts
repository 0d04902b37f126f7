/**
 * The contract's enumerations without zod, so the CLI can list choices in `--help` without
 * paying for the schema library at start-up. The schemas build on these.
 */
export const idTypes = ['phone', 'custom'] as const;
export type IdType = (typeof idTypes)[number];

export const messageTypes = ['text', 'attachment', 'location', 'quick_reply', 'custom_payload'] as const;
export type MessageType = (typeof messageTypes)[number];
export const attachmentTypes = ['image', 'video', 'audio', 'file'] as const;
export type AttachmentType = (typeof attachmentTypes)[number];

export const statusValues = ['sent', 'delivered', 'read', 'failed'] as const;
export type StatusValue = (typeof statusValues)[number];
export const eventTypes = ['message', 'message_echo', 'message_status'] as const;
export type EventType = (typeof eventTypes)[number];

export const payloadKinds = ['webhook', 'message', 'message-response', 'dev-api-send'] as const;
export type PayloadKind = (typeof payloadKinds)[number];

export const payloadKindLabels: Record<PayloadKind, string> = {
  webhook: 'webhook body (integration server -> respond.io)',
  message: '/message request (respond.io -> integration server)',
  'message-response': '/message response (integration server -> respond.io)',
  'dev-api-send': 'Developer API v2 send body',
};

export const DEFAULT_WEBHOOK_URL = 'https://webhook.respond.io/custom/channel/webhook/';
export const WEBHOOK_PATH = '/custom/channel/webhook/';
export const DEFAULT_DEVELOPER_API_URL = 'https://api.respond.io/v2';
