/**
 * The inspection API under `/_emulator/`: channels (tokens masked), contacts, conversations,
 * messages with status histories and anomalies, starting outgoing messages and broadcasts,
 * faults, reset, and the live event stream as Server-Sent Events (`?since=<seq>` replays kept
 * events first; each `data:` line is one JSON EmulatorEvent, with `id:` set to its seq;
 * `?format=json` answers a plain `{ events, lastSeq }` snapshot instead).
 *
 * Emulator choice: no authentication here; the emulator listens on 127.0.0.1 by default.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { MessageSchema } from '../contract/messages.js';
import { problemsOf } from '../contract/problems.js';
import { maskSecret } from '../secrets.js';
import type { EmulatorCore } from './core.js';
import { EmulatorInputError } from './outgoing.js';
import type { EmulatorEvent } from './types.js';

const SendSchema = z.strictObject({
  channelId: z.string().min(1).optional(),
  contactId: z.string().min(1).max(50),
  message: MessageSchema,
});
const BroadcastSchema = z.strictObject({
  channelId: z.string().min(1).optional(),
  contactIds: z.array(z.string().min(1).max(50)).min(1),
  message: MessageSchema,
});
const FaultsSchema = z.strictObject({
  latencyMs: z.number().min(0).max(120_000).optional(),
  failureRate: z.number().min(0).max(1).optional(),
  force429: z.boolean().optional(),
  force5xx: z.union([z.boolean(), z.int().min(500).max(599)]).optional(),
});
const ChannelPatchSchema = z.strictObject({ apiBaseUrl: z.url({ protocol: /^https?$/ }) });

/** SSE keep-alive comment interval. */
const HEARTBEAT_MS = 15_000;

function bad(
  reply: FastifyReply,
  status: number,
  message: string,
  problems: Array<{ path: string; message: string }> = [],
) {
  return reply.code(status).send({ error: problems.length ? { message, problems } : { message } });
}

function parse<T>(schema: z.ZodType<T>, body: unknown, reply: FastifyReply): T | undefined {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  bad(reply, 400, 'invalid request body', problemsOf(result.error, body));
  return undefined;
}

function inputError(reply: FastifyReply, error: unknown) {
  if (error instanceof EmulatorInputError) return bad(reply, error.status, error.message, error.problems);
  throw error;
}

/** Registers `/_emulator/*`; `streams` collects open SSE responses so close() can end them. */
export function registerInspection(app: FastifyInstance, core: EmulatorCore, streams: Set<() => void>): void {
  const { store } = core;
  app.register(
    async (api) => {
      // The banner links here: what the inspection API offers.
      api.get('/', async () => ({
        routes: [
          'GET /_emulator/channels',
          'PUT /_emulator/channels/:channelId',
          'GET /_emulator/contacts',
          'GET /_emulator/conversations',
          'GET /_emulator/messages',
          'GET /_emulator/messages/:messageId',
          'POST /_emulator/messages',
          'POST /_emulator/broadcasts',
          'GET /_emulator/anomalies',
          'POST /_emulator/reset',
          'GET /_emulator/faults',
          'PUT /_emulator/faults',
          'GET /_emulator/events',
        ],
      }));
      api.get('/channels', async () => ({
        channels: core.channels.map(({ token, ...channel }) => ({ ...channel, tokenMasked: maskSecret(token) })),
        devApiTokenMasked: maskSecret(core.devApiToken),
      }));
      api.put('/channels/:channelId', async (request, reply) => {
        const patch = parse(ChannelPatchSchema, request.body, reply);
        if (!patch) return reply;
        try {
          core.setApiBaseUrl((request.params as { channelId: string }).channelId, patch.apiBaseUrl);
          return { ok: true };
        } catch (error) {
          return inputError(reply, error);
        }
      });
      api.get('/contacts', async (request) => ({
        contacts: store.listContacts((request.query as { channelId?: string }).channelId),
      }));
      api.get('/conversations', async () => ({
        conversations: store.listContacts().map((contact) => ({
          contact,
          messages: store.listMessages({ channelId: contact.channelId, contactId: contact.contactId }).reverse(),
        })),
      }));
      api.get('/messages', async (request) => {
        const q = request.query as { channelId?: string; contactId?: string; traffic?: string; limit?: string };
        const traffic = q.traffic === 'incoming' || q.traffic === 'outgoing' ? q.traffic : undefined;
        const limit = q.limit ? Number(q.limit) : undefined;
        return {
          messages: store.listMessages({
            channelId: q.channelId,
            contactId: q.contactId,
            traffic,
            limit: Number.isInteger(limit) ? limit : undefined,
          }),
        };
      });
      api.get('/messages/:messageId', async (request, reply) => {
        const record = store.getMessage(Number((request.params as { messageId: string }).messageId));
        return record ?? bad(reply, 404, 'message not found');
      });
      api.post('/messages', async (request, reply) => {
        const input = parse(SendSchema, request.body, reply);
        if (!input) return reply;
        const wait = (request.query as { wait?: string }).wait;
        try {
          const started = core.start(input, 'user');
          if (wait === '1' || wait === 'true') return await started.done;
          return reply.code(202).send(started.record);
        } catch (error) {
          return inputError(reply, error);
        }
      });
      api.post('/broadcasts', async (request, reply) => {
        const input = parse(BroadcastSchema, request.body, reply);
        if (!input) return reply;
        try {
          return { messages: await core.broadcast(input) };
        } catch (error) {
          return inputError(reply, error);
        }
      });
      api.get('/anomalies', async () => ({
        anomalies: store.events().flatMap((event) => (event.type === 'anomaly' ? [event.anomaly] : [])),
      }));
      api.post('/reset', async () => {
        store.reset();
        return { ok: true };
      });
      api.get('/faults', async () => core.faults);
      api.put('/faults', async (request, reply) => {
        const faults = parse(FaultsSchema, request.body, reply);
        if (!faults) return reply;
        return core.setFaults(faults);
      });
      api.get('/events', (request, reply) => {
        const query = request.query as { since?: string; format?: string };
        if (query.format === 'json') {
          // A plain snapshot for clients without SSE: kept events after `since`.
          return reply.send({ events: store.events(Number(query.since ?? 0) || 0), lastSeq: store.lastSeq });
        }
        // `?since=` or, when a browser's EventSource reconnects, its Last-Event-ID header.
        const lastId = request.headers['last-event-id'];
        const since = Number(
          (request.query as { since?: string }).since ?? (typeof lastId === 'string' ? lastId : Number.NaN),
        );
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        const write = (event: EmulatorEvent) => res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
        res.write(': emulator events\n\n');
        if (Number.isFinite(since)) for (const event of store.events(since)) write(event);
        const unsubscribe = store.subscribe(write);
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        heartbeat.unref();
        const end = () => {
          clearInterval(heartbeat);
          unsubscribe();
          streams.delete(end);
          if (!res.writableEnded) res.end();
        };
        streams.add(end);
        request.raw.on('close', end);
      });
    },
    { prefix: '/_emulator' },
  );
}
