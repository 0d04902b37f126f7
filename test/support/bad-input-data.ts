/**
 * Data of the bad-input corpus (test/support/bad-inputs.ts): hostile bodies every JSON route
 * gets, wrong values for every field, the fields of respond.io's bodies, bad Authorization headers.
 */
import { deepJson } from './servers-under-test.js';

export const JSON_TYPE = 'application/json';

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

export const WRONG_VALUES: ReadonlyArray<[string, unknown]> = [
  ['null', null],
  ['a number', 12345],
  ['a boolean', true],
  ['an array', ['x']],
  ['an object', { nested: 'x' }],
  ['an empty string', ''],
  ['a 100 KB string', 'y'.repeat(100_000)],
];

export const MESSAGE_FIELDS = ['channelId', 'contactId', 'message', 'message.type', 'message.text'];
export const ATTACHMENT_FIELDS = ['message.attachment', 'message.attachment.type', 'message.attachment.url'];
export const WEBHOOK_FIELDS = [
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
export const STATUS_FIELDS = ['events.0.status', 'events.0.status.value'];

export const authHeaders = (token: string): ReadonlyArray<[string, Record<string, string>]> => [
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
