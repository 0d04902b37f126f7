/**
 * respond.io <-> a provider that speaks JSON over HTTP. respond.io's outgoing messages go to
 * `POST {PROVIDER_API_URL}/v1/messages`; the provider's signed callbacks (statuses, inbound
 * messages, echoes of messages sent from its own app) come back on `/webhooks/provider` and
 * become respond.io events. The bridge (custom-channel) does the rest: respond.io auth,
 * validation, the outbox, retries.
 */
import {
  type AdapterContext,
  AdapterError,
  type BridgeEvent,
  defineAdapter,
  type ProviderRequest,
  throwForProviderStatus,
} from 'custom-channel';
import {
  compact,
  contactOf,
  fromProviderContent,
  type ProviderAccepted,
  type ProviderCallback,
  type ProviderFailure,
  type ProviderSend,
  SIGNATURE_HEADER,
  toProviderContent,
  verifySignature,
} from './provider.ts';

export const WEBHOOK_PATH = '/webhooks/provider';
const statuses = ['sent', 'delivered', 'read', 'failed'] as const;

function required(ctx: AdapterContext, name: string): string {
  const value = ctx.env[name];
  if (!value) throw new Error(`${name} is not set: copy .env.example to .env and fill it in`);
  return value;
}

async function readJson<T>(response: Response): Promise<T & ProviderFailure> {
  const text = await response.text();
  try {
    return JSON.parse(text) as T & ProviderFailure;
  } catch {
    return { error: { message: text.slice(0, 200) } } as T & ProviderFailure;
  }
}

/** One provider callback -> the respond.io events it means (none when it is not usable). */
function toEvents(callback: ProviderCallback, ctx: AdapterContext): BridgeEvent[] {
  const timestamp = Number.isInteger(callback.timestamp) ? callback.timestamp : ctx.now();
  if (callback.kind === 'status') {
    if (!statuses.includes(callback.status)) return [];
    const status =
      callback.status === 'failed'
        ? { value: callback.status, message: callback.error ?? 'failed' }
        : { value: callback.status };
    return [{ contactId: callback.to, event: { type: 'message_status', mId: callback.messageId, timestamp, status } }];
  }
  const message = fromProviderContent(callback);
  if (!message) return [];
  if (callback.kind === 'message') {
    const contact = contactOf(callback.from, callback.fromName, ctx.channel.idType === 'phone');
    return [
      compact({
        contactId: callback.from,
        contact,
        event: { type: 'message' as const, mId: callback.messageId, timestamp, message },
      }),
    ];
  }
  return [{ contactId: callback.to, event: { type: 'message_echo', mId: callback.messageId, timestamp, message } }];
}

function isCallback(body: unknown): body is ProviderCallback {
  const value = body as Partial<ProviderCallback> | null;
  return (
    typeof value === 'object' &&
    value !== null &&
    ['status', 'message', 'echo'].includes(value.kind as string) &&
    typeof value.messageId === 'string' &&
    value.messageId !== ''
  );
}

export default defineAdapter({
  name: 'generic-http',
  capabilities: {
    messageTypes: ['text', 'attachment', 'location', 'quick_reply', 'custom_payload'],
    attachmentTypes: ['image', 'video', 'audio', 'file'],
    statuses: ['sent', 'delivered', 'read', 'failed'],
  },

  async send(input, ctx) {
    const base = required(ctx, 'PROVIDER_API_URL').replace(/\/+$/, '');
    const apiKey = required(ctx, 'PROVIDER_API_KEY');
    const body: ProviderSend = compact({
      to: input.contactId,
      ...toProviderContent(input.message),
      callbackUrl: ctx.env.PROVIDER_CALLBACK_URL || undefined,
    });
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    // The same key on every retry of this message: the provider sends it once.
    if (input.idempotencyKey) headers['idempotency-key'] = input.idempotencyKey;
    // ctx.fetch carries ctx.signal: the bridge aborts the call when its time is up.
    const response = await ctx.fetch(`${base}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(body) });
    const answer = await readJson<ProviderAccepted>(response);
    const why = [answer.error?.code, answer.error?.message].filter(Boolean).join(': ');
    // 408, 425, 429 and 5xx -> RetryableError (the bridge retries, honouring Retry-After, then
    // queues); any other 4xx -> AdapterError (respond.io gets the refusal at once, no retry).
    throwForProviderStatus(response, why || undefined);
    if (typeof answer.id !== 'string' || answer.id === '') {
      // It took the message but did not say under which id: sending again could duplicate it.
      throw new AdapterError('provider answered without a message id');
    }
    return { mId: answer.id };
  },

  webhooks: [
    {
      path: WEBHOOK_PATH,
      // Fail closed: the bridge refuses this route with 401 while the secret is unset, and warns at start.
      secretEnv: 'PROVIDER_WEBHOOK_SECRET',
      verify(request: ProviderRequest, ctx) {
        const secret = ctx.env.PROVIDER_WEBHOOK_SECRET ?? '';
        if (!secret) return false;
        return verifySignature(request.rawBody, request.headers[SIGNATURE_HEADER], secret);
      },
      handle(request, ctx) {
        if (!isCallback(request.body)) {
          ctx.log.warn('provider callback without kind or messageId: ignored');
          return { events: [], reply: { status: 400, body: { error: { message: 'not a provider callback' } } } };
        }
        const events = toEvents(request.body, ctx);
        if (events.length === 0) ctx.log.warn('provider callback not understood: ignored', { kind: request.body.kind });
        return { events };
      },
    },
  ],
});
