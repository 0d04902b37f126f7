/**
 * The corpus of bad inputs (issue 13): for every server, what a careless or hostile client can
 * send: wrong methods and content types; broken, deep, huge and hostile JSON (`__proto__`,
 * `constructor`); every field of respond.io's /message body and webhook body given the wrong
 * type; bad auth headers; bad query values and paths. Each case is one request; the test
 * asserts none is answered 5xx and that each server still serves afterwards.
 * (Slow bodies need a real socket: test/slow-body.test.ts sends them to every server.)
 */
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

const JSON_TYPE = 'application/json';

/** Bodies every JSON route gets: each must be a 4xx (or a 2xx the route chose), never a 5xx. */
export const HOSTILE_BODIES: ReadonlyArray<[string, string | Buffer, string | undefined]> = [
  ['empty body', '', JSON_TYPE],
  ['truncated JSON', '{"a":', JSON_TYPE],
  ['trailing garbage', '{"a":1}xyz', JSON_TYPE],
  ['JSON null', 'null', JSON_TYPE],
  ['JSON array', '[]', JSON_TYPE],
  ['JSON string', '"hello"', JSON_TYPE],
  ['JSON number', '42', JSON_TYPE],
  ['JSON true', 'true', JSON_TYPE],
  ['5,000 nested objects', deepJson(5000), JSON_TYPE],
  ['5,000 nested arrays', deepJson(5000, '[', ']'), JSON_TYPE],
  ['65 nested levels (one past the limit)', deepJson(65), JSON_TYPE],
  ['__proto__ key', '{"__proto__":{"polluted":true}}', JSON_TYPE],
  ['constructor.prototype key', '{"constructor":{"prototype":{"polluted":true}}}', JSON_TYPE],
  ['nested __proto__', '{"message":{"__proto__":{"type":"text"}}}', JSON_TYPE],
  ['duplicate keys', '{"a":1,"a":{"b":2},"a":[3]}', JSON_TYPE],
  ['byte order mark', '\ufeff{"a":1}', JSON_TYPE],
  ['lone surrogate', '{"text":"\\ud800"}', JSON_TYPE],
  ['invalid UTF-8 bytes', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), JSON_TYPE],
  ['NUL bytes', '{"a":"\u0000\u0000"}', JSON_TYPE],
  ['1e999 and -0', '{"n":1e999,"m":-0}', JSON_TYPE],
  ['500 KB string', JSON.stringify({ text: 'x'.repeat(500_000) }), JSON_TYPE],
  ['1.2 MB body (over every body limit)', JSON.stringify({ text: 'x'.repeat(1_200_000) }), JSON_TYPE],
  [
    '10,000 keys',
    JSON.stringify(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]))),
    JSON_TYPE,
  ],
  ['text/plain', '{"a":1}', 'text/plain'],
  ['application/xml', '<a>1</a>', 'application/xml'],
  [
    'multipart garbage',
    '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
    'multipart/form-data; boundary=x',
  ],
  ['form with __proto__', 'a=1&__proto__[polluted]=1&constructor[prototype][x]=1', 'application/x-www-form-urlencoded'],
  ['no content type', '{"a":1}', undefined],
  ['charset utf-16', '{"a":1}', 'application/json; charset=utf-16'],
  ['content type garbage', '{"a":1}', ';;;==='],
  ['vendor +json', '{"a":1}', 'application/vnd.api+json'],
  ['octet-stream', Buffer.from([0, 1, 2, 3, 255]), 'application/octet-stream'],
];

const WRONG_VALUES: ReadonlyArray<[string, unknown]> = [
  ['null', null],
  ['a number', 12345],
  ['a boolean', true],
  ['an array', ['x']],
  ['an object', { nested: 'x' }],
  ['an empty string', ''],
  ['a 100 KB string', 'y'.repeat(100_000)],
];

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

const MESSAGE_FIELDS = ['channelId', 'contactId', 'message', 'message.type', 'message.text'];
const ATTACHMENT_FIELDS = ['message.attachment', 'message.attachment.type', 'message.attachment.url'];
const WEBHOOK_FIELDS = [
  'channelId',
  'contactId',
  'events',
  'events.0',
  'events.0.type',
  'events.0.mId',
  'events.0.timestamp',
  'events.0.message',
  'events.0.message.type',
  'events.0.message.text',
  'contact',
  'contact.firstName',
];
const STATUS_FIELDS = ['events.0.status', 'events.0.status.value'];

const authHeaders = (token: string): ReadonlyArray<[string, Record<string, string>]> => [
  ['no Authorization', {}],
  ['empty Authorization', { authorization: '' }],
  ['bare "Bearer"', { authorization: 'Bearer' }],
  ['"Bearer " and spaces', { authorization: 'Bearer    ' }],
  ['Basic instead of Bearer', { authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}` }],
  ['token with one more character', { authorization: `Bearer ${token}x` }],
  ['token one character short', { authorization: `Bearer ${token.slice(0, -1)}` }],
  ['lower-case scheme, wrong token', { authorization: 'bearer not-the-token' }],
  ['non-ASCII token', { authorization: 'Bearer t\u00f6k\u00e9n' }],
  ['8 KB token', { authorization: `Bearer ${'z'.repeat(8192)}` }],
];

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
