/**
 * `custom-channel/adapter`: everything a provider adapter imports, without the bridge, the
 * emulator or Fastify: the adapter contract and its errors, the provider-answer classifier, the
 * constant-time compare for webhook secrets, and respond.io's payload types.
 * @example import { defineAdapter, AdapterError, throwForProviderStatus } from 'custom-channel/adapter';
 */
export * from './bridge/adapter.js';
export {
  classifyProviderResponse,
  isNetworkError,
  isRetryableStatus,
  type ProviderVerdict,
  throwForProviderStatus,
} from './bridge/provider-status.js';
export type { IdType } from './contract/ids.js';
export type { Attachment, AttachmentType, Message, MessageType } from './contract/messages.js';
export type { Contact, StatusValue, WebhookEvent } from './contract/webhook.js';
export { maskSecret, safeEqual } from './secrets.js';
