/**
 * respond.io <-> a Telegram bot. respond.io's outgoing messages become Bot API calls
 * (sendMessage, sendPhoto, sendDocument, sendLocation...); the webhook's Updates become
 * respond.io messages. The Bot API has no delivery receipts, so only `sent` is reported.
 */
import { createHmac } from 'node:crypto';
import {
  type AdapterContext,
  AdapterError,
  type Attachment,
  defineAdapter,
  type Message,
  type ProviderRequest,
  RetryableError,
  safeEqual,
} from 'custom-channel';
import {
  type ApiResponse,
  buildApiCall,
  chatIdOf,
  contactIdOf,
  contactOf,
  DEFAULT_API_URL,
  fileOf,
  type InboundFile,
  plainMessageOf,
  type TelegramMessage,
  type Update,
} from './telegram.ts';

export const WEBHOOK_PATH = '/webhooks/telegram';
/** Serves the contact's photos and files to respond.io without revealing the bot token. */
export const FILE_PATH = '/webhooks/telegram/file';

function token(ctx: AdapterContext): string {
  const value = ctx.env.TELEGRAM_BOT_TOKEN;
  if (!value) throw new Error('TELEGRAM_BOT_TOKEN is not set: copy .env.example to .env and fill it in');
  return value;
}

function apiBase(ctx: AdapterContext): string {
  return (ctx.env.TELEGRAM_API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
}

/** Calls a Bot API method; Telegram's refusals become errors with its description. */
async function callApi<T>(ctx: AdapterContext, method: string, params: Record<string, unknown>): Promise<T> {
  const response = await ctx.fetch(`${apiBase(ctx)}/bot${token(ctx)}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(params),
    signal: ctx.signal,
  });
  let answer: ApiResponse<T>;
  try {
    answer = (await response.json()) as ApiResponse<T>;
  } catch {
    answer = { ok: false, error_code: response.status, description: `non-JSON answer (HTTP ${response.status})` };
  }
  if (answer.ok && answer.result !== undefined) return answer.result;
  const code = answer.error_code ?? response.status;
  const why = `Telegram ${method}: ${code} ${answer.description ?? 'error'}`;
  // Flood control (429, with parameters.retry_after in seconds) and Telegram's own failures may
  // pass later: RetryableError, so the bridge retries after retry_after and then queues it. The
  // rest are refusals of this message (AdapterError): respond.io gets the error at once.
  if (code === 429 || code >= 500) {
    const after = answer.parameters?.retry_after;
    throw new RetryableError(why, { status: code, retryAfterMs: typeof after === 'number' ? after * 1000 : undefined });
  }
  throw new AdapterError(why);
}

/** HMAC of a file id, so only links this server made are served. */
function fileSignature(ctx: AdapterContext, fileId: string): string {
  const key = ctx.env.TELEGRAM_WEBHOOK_SECRET || token(ctx);
  return createHmac('sha256', key).update(fileId).digest('hex').slice(0, 32);
}

/** A public URL for an inbound file: through this server when TELEGRAM_PUBLIC_URL is set. */
async function fileUrl(ctx: AdapterContext, fileId: string): Promise<string> {
  const publicUrl = ctx.env.TELEGRAM_PUBLIC_URL?.replace(/\/+$/, '');
  if (publicUrl) {
    const query = new URLSearchParams({ id: fileId, sig: fileSignature(ctx, fileId) });
    return `${publicUrl}${FILE_PATH}?${query}`;
  }
  ctx.log.warn('TELEGRAM_PUBLIC_URL is not set: the file link given to respond.io contains the bot token');
  return telegramFileUrl(ctx, fileId);
}

/** Telegram's download URL of a file (it contains the bot token; valid for at least an hour). */
async function telegramFileUrl(ctx: AdapterContext, fileId: string): Promise<string> {
  const file = await callApi<{ file_path?: string }>(ctx, 'getFile', { file_id: fileId });
  if (!file.file_path) throw new Error('Telegram getFile: no file_path (file too big to download?)');
  return `${apiBase(ctx)}/file/bot${token(ctx)}/${file.file_path}`;
}

async function attachmentOf(ctx: AdapterContext, inbound: InboundFile): Promise<Attachment> {
  const attachment: Attachment = { type: inbound.kind, url: await fileUrl(ctx, inbound.file.file_id) };
  if (inbound.file.mime_type) attachment.mimeType = inbound.file.mime_type;
  if (inbound.file.file_name) attachment.fileName = inbound.file.file_name;
  if (inbound.caption) attachment.description = inbound.caption;
  return attachment;
}

/** Fail closed: without TELEGRAM_WEBHOOK_SECRET anyone could post forged updates, so none is accepted. */
function verifySecret(request: ProviderRequest, ctx: AdapterContext): boolean {
  const secret = ctx.env.TELEGRAM_WEBHOOK_SECRET;
  if (!secret) return false;
  return safeEqual(request.headers['x-telegram-bot-api-secret-token'] ?? '', secret);
}

export default defineAdapter({
  name: 'telegram-bot',
  capabilities: {
    messageTypes: ['text', 'attachment', 'location', 'quick_reply'],
    attachmentTypes: ['image', 'video', 'audio', 'file'],
    // The Bot API has no delivery or read receipts.
    statuses: ['sent'],
    // Telegram's broadcast limit: about 30 messages per second. The send queue keeps under it.
    sendRate: 30,
  },

  async send(input, ctx) {
    const call = buildApiCall(chatIdOf(input.contactId), input.message);
    const sent = await callApi<TelegramMessage>(ctx, call.method, call.params);
    return { mId: `${sent.chat.id}:${sent.message_id}` };
  },

  webhooks: [
    {
      path: WEBHOOK_PATH,
      // The bridge refuses this route with 401 while the secret is unset, and warns at start.
      secretEnv: 'TELEGRAM_WEBHOOK_SECRET',
      verify: verifySecret,
      async handle(request, ctx) {
        const update = request.body as Update | undefined;
        const message = update?.message;
        if (!message?.chat || typeof message.message_id !== 'number') {
          // Edited messages, channel posts, callback queries...: acknowledged so Telegram does not resend them.
          ctx.log.debug('Telegram update without a new message: ignored', { updateId: update?.update_id });
          return { events: [] };
        }
        const file = fileOf(message);
        const content: Message | undefined = file
          ? { type: 'attachment', attachment: await attachmentOf(ctx, file) }
          : plainMessageOf(message);
        if (!content) {
          ctx.log.info('Telegram message type not supported (sticker, poll, contact...): ignored', {
            messageId: message.message_id,
          });
          return { events: [] };
        }
        const contactId = contactIdOf(message.chat.id);
        return {
          events: [
            {
              contactId,
              contact: contactOf(message.from, message.chat),
              event: {
                type: 'message',
                mId: `${message.chat.id}:${message.message_id}`,
                timestamp: message.date * 1000,
                message: content,
              },
            },
          ],
        };
      },
    },
    {
      path: FILE_PATH,
      // Links carry their own signature; Telegram's secret header is not on respond.io's download.
      async handshake(request, ctx) {
        const id = request.query.id ?? '';
        const sig = request.query.sig ?? '';
        if (!id || !safeEqual(sig, fileSignature(ctx, id))) {
          return { status: 404, body: { error: { message: 'unknown file' } } };
        }
        // Proxied, not redirected: a redirect would hand respond.io a URL holding the bot token.
        const download = await ctx.fetch(await telegramFileUrl(ctx, id), { signal: ctx.signal });
        if (!download.ok) return { status: 502, body: { error: { message: `Telegram answered ${download.status}` } } };
        const type = download.headers.get('content-type') ?? 'application/octet-stream';
        return { status: 200, headers: { 'content-type': type }, body: Buffer.from(await download.arrayBuffer()) };
      },
      handle() {
        return { events: [], reply: { status: 405, body: { error: { message: 'use GET' } } } };
      },
    },
  ],
});
