/**
 * The corpus of bad inputs (issue 13): for every server, what a careless or hostile client can
 * send: wrong methods and content types; broken, deep, huge and hostile JSON (`__proto__`,
 * `constructor`); every field of respond.io's /message body and webhook body given the wrong
 * type; bad auth headers; bad query values and paths. Each case is one request; the test
 * asserts none is answered 5xx and that each server still serves afterwards.
 * (Slow bodies need a real socket: test/slow-body.test.ts sends them to every server.)
 */
import {
  ATTACHMENT_FIELDS,
  authHeaders,
  HOSTILE_BODIES,
  JSON_TYPE,
  MESSAGE_FIELDS,
  STATUS_FIELDS,
  WEBHOOK_FIELDS,
  WRONG_VALUES,
} from './bad-input-data.js';
import { deepJson, type Sent, type ServerUnderTest } from './servers-under-test.js';

export interface BadInput {
  server: ServerUnderTest['name'];
  name: string;
  request: Sent;
}

export interface CorpusContext {
  bridgeToken: string;
  bridgeChannel: string;
  emulatorChannel: { channelId: string; token: string };
  devApiToken: string;
  mockApiKey: string;
  stubAuth: string;
}

type Json = Record<string, unknown>;

/** `base` with `path` (dots; digits index arrays) set to `value`, or removed when `value` is REMOVE. */
const REMOVE = Symbol('remove');
function mutate(base: Json, path: string, value: unknown): Json {
  const copy = structuredClone(base) as Json;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (value === REMOVE) delete at[keys.at(-1) as string];
  else at[keys.at(-1) as string] = value;
  return copy;
}

/** Every field of `base` (at `paths`) missing, then given each wrong type. */
function fieldCases(base: Json, paths: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const path of paths) {
    out.push([`${path} missing`, JSON.stringify(mutate(base, path, REMOVE))]);
    for (const [what, value] of WRONG_VALUES)
      out.push([`${path} is ${what}`, JSON.stringify(mutate(base, path, value))]);
  }
  return out;
}

/** Every case of the corpus. */
export function buildCorpus(c: CorpusContext): BadInput[] {
  const cases: BadInput[] = [];
  const add = (server: BadInput['server'], name: string, request: Sent) => cases.push({ server, name, request });
  const bridgeAuth = { authorization: `Bearer ${c.bridgeToken}` };
  const emulatorAuth = { authorization: `Bearer ${c.emulatorChannel.token}` };
  const devAuth = { authorization: `Bearer ${c.devApiToken}` };
  const mockAuth = { authorization: `Bearer ${c.mockApiKey}` };
  const jsonRoutes: Array<[BadInput['server'], string, Record<string, string>]> = [
    ['bridge', '/message', bridgeAuth],
    ['bridge', '/webhooks/clicksend/inbound', {}],
    ['bridge', '/webhooks/clicksend/receipts', {}],
    ['bridge', '/webhooks/test', {}],
    ['emulator', '/custom/channel/webhook/', emulatorAuth],
    ['emulator', '/v2/contact/phone:+60177872890/message', devAuth],
    ['emulator', '/_emulator/messages', {}],
    ['emulator', '/_emulator/faults', {}],
    ['inspector', '/api/compose', {}],
    ['inspector', '/api/replay', {}],
    ['mock-provider', '/v1/messages', mockAuth],
    ['mock-provider', '/_mock/inbound', {}],
    ['provider-stub', '/v3/sms/send', { authorization: c.stubAuth }],
  ];
  for (const [server, url, auth] of jsonRoutes) {
    const method = url === '/_emulator/faults' ? 'PUT' : 'POST';
    for (const [name, payload, type] of HOSTILE_BODIES) {
      add(server, `${method} ${url}: ${name}`, {
        method,
        url,
        headers: { ...auth, ...(type ? { 'content-type': type } : {}) },
        payload,
      });
    }
  }

  // respond.io's /message body, each field wrong, at the bridge.
  const text = { channelId: c.bridgeChannel, contactId: '+60177872890', message: { type: 'text', text: 'hi' } };
  const image = {
    ...text,
    message: { type: 'attachment', attachment: { type: 'image', url: 'https://example.com/a.png' } },
  };
  for (const [name, payload] of [...fieldCases(text, MESSAGE_FIELDS), ...fieldCases(image, ATTACHMENT_FIELDS)]) {
    add('bridge', `/message body: ${name}`, {
      method: 'POST',
      url: '/message',
      headers: { ...bridgeAuth, 'content-type': JSON_TYPE },
      payload,
    });
  }

  // The webhook body, each field wrong, at the emulator.
  const event = { type: 'message', mId: 'corpus-1', timestamp: 1767225600000, message: { type: 'text', text: 'hi' } };
  const webhook = {
    channelId: c.emulatorChannel.channelId,
    contactId: '+60177872890',
    events: [event],
    contact: { firstName: 'A' },
  };
  const status = {
    ...webhook,
    events: [{ type: 'message_status', mId: 'corpus-1', timestamp: 1767225600000, status: { value: 'read' } }],
  };
  for (const [name, payload] of [...fieldCases(webhook, WEBHOOK_FIELDS), ...fieldCases(status, STATUS_FIELDS)]) {
    add('emulator', `webhook body: ${name}`, {
      method: 'POST',
      url: '/custom/channel/webhook/',
      headers: { ...emulatorAuth, 'content-type': JSON_TYPE },
      payload,
    });
  }

  // Deep or hostile JSON inside otherwise valid bodies: accepted by the schemas, it used to be
  // stored, then every view of it overflowed the stack.
  const deep = JSON.parse(deepJson(40)) as unknown; // within the limit: a 2xx is fine
  const tooDeep = deepJson(5000);
  const inside: Array<[BadInput['server'], string, Record<string, string>, string]> = [
    ['bridge', '/message', bridgeAuth, JSON.stringify({ ...text, message: { ...text.message, extra: '@' } })],
    [
      'emulator',
      '/custom/channel/webhook/',
      emulatorAuth,
      JSON.stringify({ ...webhook, events: [{ ...event, message: { ...event.message, extra: '@' } }] }),
    ],
    [
      'emulator',
      '/v2/contact/phone:+60177872890/message',
      devAuth,
      JSON.stringify({ message: { type: 'custom_payload', payload: { extra: '@' } } }),
    ],
    [
      'emulator',
      '/_emulator/messages',
      {},
      JSON.stringify({ contactId: '+60177872890', message: { type: 'custom_payload', payload: { extra: '@' } } }),
    ],
    [
      'inspector',
      '/api/compose',
      {},
      JSON.stringify({ contactId: '+60177872890', message: { type: 'custom_payload', payload: { extra: '@' } } }),
    ],
    [
      'mock-provider',
      '/v1/messages',
      mockAuth,
      JSON.stringify({ to: '+60177872890', type: 'text', text: 'x', extra: '@' }),
    ],
    [
      'mock-provider',
      '/_mock/inbound',
      {},
      JSON.stringify({ from: '+60177872890', type: 'text', text: 'x', extra: '@' }),
    ],
  ];
  for (const [server, url, auth, template] of inside) {
    for (const [name, value] of [
      ['5,000 levels', tooDeep],
      ['40 levels', JSON.stringify(deep)],
      ['__proto__', '{"__proto__":{"polluted":true}}'],
      ['constructor', '{"constructor":{"prototype":{"polluted":true}}}'],
    ]) {
      add(server, `${url}: ${name} inside a valid body`, {
        method: 'POST',
        url,
        headers: { ...auth, 'content-type': JSON_TYPE },
        payload: template.replace('"@"', value),
      });
    }
  }

  // Origins the inspector must refuse (403), never fail on.
  for (const origin of ['null', 'not a url', 'http://', 'file://', 'http://evil.example', 'http://[::1']) {
    add('inspector', `POST /api/replay with Origin: ${origin}`, {
      method: 'POST',
      url: '/api/replay',
      headers: { origin, 'content-type': JSON_TYPE },
      payload: '{"seq":1}',
    });
  }

  // Bad auth on every authenticated route, with an otherwise good body.
  const authRoutes: Array<[BadInput['server'], string, string, unknown]> = [
    ['bridge', '/message', c.bridgeToken, text],
    ['emulator', '/custom/channel/webhook/', c.emulatorChannel.token, webhook],
    ['emulator', '/v2/contact/phone:+60177872890/message', c.devApiToken, { message: { type: 'text', text: 'x' } }],
    ['mock-provider', '/v1/messages', c.mockApiKey, { to: '+60177872890', type: 'text', text: 'x' }],
    ['provider-stub', '/v3/sms/send', 'stand-in', { messages: [{ to: '+60177872890', body: 'x' }] }],
  ];
  for (const [server, url, token, body] of authRoutes) {
    for (const [name, headers] of authHeaders(token)) {
      add(server, `${url} auth: ${name}`, {
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': JSON_TYPE },
        payload: JSON.stringify(body),
      });
    }
  }

  // Wrong methods.
  const methods: Array<[BadInput['server'], string, string]> = [
    ['bridge', 'GET', '/message'],
    ['bridge', 'PUT', '/message'],
    ['bridge', 'DELETE', '/health'],
    ['bridge', 'PATCH', '/webhooks/clicksend/inbound'],
    ['bridge', 'OPTIONS', '/message'],
    ['emulator', 'GET', '/custom/channel/webhook/'],
    ['emulator', 'DELETE', '/custom/channel/webhook/'],
    ['emulator', 'PUT', '/v2/contact/phone:+60177872890/message'],
    ['emulator', 'POST', '/_emulator/channels'],
    ['emulator', 'PATCH', '/_emulator/faults'],
    ['inspector', 'GET', '/api/compose'],
    ['inspector', 'DELETE', '/api/entries'],
    ['inspector', 'PUT', '/api/replay'],
    ['mock-provider', 'GET', '/v1/messages'],
    ['mock-provider', 'PUT', '/_mock/scenario'],
    ['provider-stub', 'GET', '/v3/sms/send'],
    ['provider-stub', 'DELETE', '/v3/sms/send'],
  ];
  for (const [server, method, url] of methods) add(server, `${method} ${url}`, { method, url });

  // Bad query values and paths.
  const queries: Array<[BadInput['server'], string]> = [
    ['inspector', '/api/entries?since=-1'],
    ['inspector', '/api/entries?since=abc'],
    ['inspector', '/api/entries?since=1e400'],
    ['inspector', '/api/entries?since=1&since=2'],
    ['inspector', '/api/stream?since=-5'],
    ['inspector', '/api/%zz'],
    ['emulator', '/_emulator/messages?limit=-1'],
    ['emulator', '/_emulator/messages?limit=abc&traffic=nonsense'],
    ['emulator', '/_emulator/messages?contactId[]=1&channelId[__proto__]=x'],
    ['emulator', '/_emulator/messages/abc'],
    ['emulator', '/_emulator/messages/99999999999999999999999'],
    ['emulator', '/_emulator/contacts?channelId=%00'],
    ['emulator', '/v2/contact/phone:+60177872890/message/list?limit=-1&cursorId=abc'],
    ['emulator', '/v2/contact/nonsense/message/1'],
    ['emulator', '/v2/contact/phone:%zz/message/list'],
    ['bridge', '/health?__proto__[x]=1'],
    ['bridge', '/webhooks/clicksend/inbound?secret[]=1&secret[]=2'],
    ['bridge', '/%zz'],
    ['bridge', `/${'a'.repeat(8000)}`],
    ['mock-provider', '/_mock/sends?x=%zz'],
    ['provider-stub', '/v3/%zz'],
  ];
  for (const [server, url] of queries) add(server, `GET ${url.slice(0, 80)}`, { method: 'GET', url });
  return cases;
}
