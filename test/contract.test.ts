import { describe, expect, it } from 'vitest';
import {
  contactIdProblem,
  detectKind,
  type PayloadKind,
  parseContactIdentifier,
  validatePayload,
} from '../src/contract/index.js';

const TS = 1767225600000;
const text = { type: 'text', text: 'Hello' };
const event = (overrides: Record<string, unknown> = {}) => ({
  type: 'message',
  mId: 'p-1',
  timestamp: TS,
  message: text,
  ...overrides,
});
const status = (value: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'message_status',
  mId: 'p-1',
  timestamp: TS,
  status: { value, ...extra },
});
const hook = (overrides: Record<string, unknown> = {}) => ({
  channelId: 'gfd8g7fd89dgfd',
  contactId: '+60177872890',
  events: [event()],
  ...overrides,
});
const withMessage = (message: unknown) => hook({ events: [event({ message })] });
const outbound = (overrides: Record<string, unknown> = {}) => ({
  channelId: 'gfd8g7fd89dgfd',
  contactId: '+60177872890',
  message: text,
  ...overrides,
});
const image = { type: 'image', url: 'https://example.com/a.jpg' };

type Case = [
  label: string,
  kind: PayloadKind,
  payload: unknown,
  path: string,
  reason: RegExp,
  idType?: 'phone' | 'custom',
];

/** Every grade A/B rule of the contract, broken once: the exact path and a readable reason. */
const invalid: Case[] = [
  ['missing channelId', 'webhook', hook({ channelId: undefined }), 'channelId', /is required/],
  ['numeric channelId', 'webhook', hook({ channelId: 42 }), 'channelId', /must be a string/],
  ['empty channelId', 'webhook', hook({ channelId: '' }), 'channelId', /must not be empty/],
  ['missing contactId', 'webhook', hook({ contactId: undefined }), 'contactId', /is required/],
  [
    'contactId over 50',
    'webhook',
    hook({ contactId: 'c'.repeat(51) }),
    'contactId',
    /at most 50 characters \(got 51\)/,
  ],
  ['missing events', 'webhook', hook({ events: undefined }), 'events', /is required/],
  ['events not an array', 'webhook', hook({ events: {} }), 'events', /^must be an array \(got an object\)$/],
  ['empty events', 'webhook', hook({ events: [] }), 'events', /at least one event/],
  [
    'unknown event type',
    'webhook',
    hook({ events: [event({ type: 'reaction' })] }),
    'events[0].type',
    /unknown type "reaction"/,
  ],
  [
    'missing event type',
    'webhook',
    hook({ events: [event({ type: undefined })] }),
    'events[0].type',
    /unknown type|required/,
  ],
  ['missing mId', 'webhook', hook({ events: [event({ mId: undefined })] }), 'events[0].mId', /is required/],
  ['numeric mId', 'webhook', hook({ events: [event({ mId: 7 })] }), 'events[0].mId', /must be a string/],
  ['empty mId', 'webhook', hook({ events: [event({ mId: '' })] }), 'events[0].mId', /must not be empty/],
  [
    'mId over 50',
    'webhook',
    hook({ events: [event({ mId: 'm'.repeat(63) })] }),
    'events[0].mId',
    /^must be at most 50 characters \(got 63\)$/,
  ],
  [
    'missing timestamp',
    'webhook',
    hook({ events: [event({ timestamp: undefined })] }),
    'events[0].timestamp',
    /is required/,
  ],
  [
    'fractional timestamp',
    'webhook',
    hook({ events: [event({ timestamp: 1767225600000.5 })] }),
    'events[0].timestamp',
    /integer/,
  ],
  [
    'string timestamp',
    'webhook',
    hook({ events: [event({ timestamp: '1767225600000' })] }),
    'events[0].timestamp',
    /integer/,
  ],
  [
    'message event without message',
    'webhook',
    hook({ events: [event({ message: undefined })] }),
    'events[0].message',
    /is required/,
  ],
  [
    'echo without message',
    'webhook',
    hook({ events: [event({ type: 'message_echo', message: undefined })] }),
    'events[0].message',
    /is required/,
  ],
  [
    'unknown message type',
    'webhook',
    withMessage({ type: 'sticker' }),
    'events[0].message.type',
    /unknown type "sticker"/,
  ],
  ['empty text', 'webhook', withMessage({ type: 'text', text: '' }), 'events[0].message.text', /must not be empty/],
  ['missing text', 'webhook', withMessage({ type: 'text' }), 'events[0].message.text', /is required/],
  ['non-string text', 'webhook', withMessage({ type: 'text', text: 5 }), 'events[0].message.text', /must be a string/],
  ['attachment missing', 'webhook', withMessage({ type: 'attachment' }), 'events[0].message.attachment', /is required/],
  [
    'bad attachment type',
    'webhook',
    withMessage({ type: 'attachment', attachment: { ...image, type: 'sticker' } }),
    'events[0].message.attachment.type',
    /one of "image", "video", "audio", "file"/,
  ],
  [
    'attachment without url',
    'webhook',
    withMessage({ type: 'attachment', attachment: { type: 'image' } }),
    'events[0].message.attachment.url',
    /required|URL/,
  ],
  [
    'attachment url not http',
    'webhook',
    withMessage({ type: 'attachment', attachment: { ...image, url: 'ftp://x/a.jpg' } }),
    'events[0].message.attachment.url',
    /http\(s\) URL/,
  ],
  [
    'location without latitude',
    'webhook',
    withMessage({ type: 'location', longitude: 1 }),
    'events[0].message.latitude',
    /is required/,
  ],
  [
    'quick reply without replies',
    'webhook',
    withMessage({ type: 'quick_reply', title: 'Pick' }),
    'events[0].message.replies',
    /is required/,
  ],
  [
    'custom payload not an object',
    'webhook',
    withMessage({ type: 'custom_payload', payload: 'x' }),
    'events[0].message.payload',
    /JSON object/,
  ],
  [
    'status without status',
    'webhook',
    hook({ events: [{ type: 'message_status', mId: 'p-1', timestamp: TS }] }),
    'events[0].status',
    /is required/,
  ],
  [
    'bad status value',
    'webhook',
    hook({ events: [status('seen')] }),
    'events[0].status.value',
    /one of "sent", "delivered", "read", "failed" \(got "seen"\)/,
  ],
  [
    'pending is not a webhook status',
    'webhook',
    hook({ events: [status('pending')] }),
    'events[0].status.value',
    /one of/,
  ],
  [
    'status reason not a string',
    'webhook',
    hook({ events: [status('failed', { message: 404 })] }),
    'events[0].status.message',
    /must be a string/,
  ],
  [
    'error in the second event',
    'webhook',
    hook({ events: [event(), event({ mId: 'x'.repeat(51) })] }),
    'events[1].mId',
    /at most 50/,
  ],
  [
    'contact countryCode',
    'webhook',
    hook({ contact: { countryCode: 'Malaysia' } }),
    'contact.countryCode',
    /ISO 3166-1 alpha-2/,
  ],
  ['contact phone without +', 'webhook', hook({ contact: { phone: '60177872890' } }), 'contact.phone', /E\.164/],
  ['contact email', 'webhook', hook({ contact: { email: 'not-an-email' } }), 'contact.email', /email/],
  ['contact language', 'webhook', hook({ contact: { language: 'english' } }), 'contact.language', /ISO 639-1/],
  [
    'contact profilePic',
    'webhook',
    hook({ contact: { profilePic: 'avatar.png' } }),
    'contact.profilePic',
    /http\(s\) URL/,
  ],
  ['phone ID type without +', 'webhook', hook({ contactId: '60177872890' }), 'contactId', /leading "\+"/, 'phone'],
  ['phone ID type with letters', 'webhook', hook({ contactId: '+6017abc' }), 'contactId', /E\.164/, 'phone'],
  [
    'custom ID with a space',
    'webhook',
    hook({ contactId: 'tg 5551234' }),
    'contactId',
    /character a Custom ID cannot hold: " "/,
    'custom',
  ],
  ['custom ID with a dash', 'webhook', hook({ contactId: 'user-1' }), 'contactId', /cannot hold: "-"/, 'custom'],
  ['custom ID over 50', 'message', outbound({ contactId: 'a'.repeat(51) }), 'contactId', /at most 50/, 'custom'],
  ['/message without message', 'message', outbound({ message: undefined }), 'message', /is required/],
  [
    '/message unknown type',
    'message',
    outbound({ message: { type: 'template', name: 'x' } }),
    'message.type',
    /unknown type "template"/,
  ],
  [
    '/message 11 quick replies',
    'message',
    outbound({ message: { type: 'quick_reply', title: 'Pick', replies: Array(11).fill('a') } }),
    'message.replies',
    /at most 10 replies/,
  ],
  [
    '/message empty quick reply',
    'message',
    outbound({ message: { type: 'quick_reply', title: 'Pick', replies: ['a', ''] } }),
    'message.replies[1]',
    /must not be empty/,
  ],
  ['/message without contactId', 'message', outbound({ contactId: undefined }), 'contactId', /is required/],
  ['response mId over 50', 'message-response', { mId: 'x'.repeat(51) }, 'mId', /at most 50 characters \(got 51\)/],
  ['response numeric mId', 'message-response', { mId: 12 }, 'mId', /must be a string/],
  ['error response without message', 'message-response', { error: {} }, 'error.message', /is required/],
  ['dev API string channelId', 'dev-api-send', { channelId: 'abc', message: text }, 'channelId', /integer/],
  ['dev API without message', 'dev-api-send', { channelId: 1 }, 'message', /is required/],
];

describe('contract: invalid payloads are rejected with the exact path', () => {
  it('has a case for at least 40 rules', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(40);
  });

  it.each(invalid)('%s', (_label, kind, payload, path, reason, idType) => {
    const result = validatePayload(payload, { kind, idType });
    expect(result.valid).toBe(false);
    const problem = result.errors.find((p) => p.path === path);
    expect(problem, `errors were ${JSON.stringify(result.errors)}`).toBeDefined();
    expect(problem?.message).toMatch(reason);
  });
});

describe('contract: grade C and unknowns are warnings, errors with strict', () => {
  const cases: Array<[string, unknown, string]> = [
    ['location inbound', withMessage({ type: 'location', latitude: 3.1, longitude: 101.6 }), 'events[0].message.type'],
    [
      'latitude out of range',
      withMessage({ type: 'location', latitude: 91, longitude: 0 }),
      'events[0].message.latitude',
    ],
    ['quick reply inbound', withMessage({ type: 'quick_reply', title: 'a', replies: ['b'] }), 'events[0].message.type'],
    [
      'attachment description',
      withMessage({ type: 'attachment', attachment: { ...image, description: 'x' } }),
      'events[0].message.attachment.description',
    ],
    ['timestamp in seconds', hook({ events: [event({ timestamp: 1767225600 })] }), 'events[0].timestamp'],
    ['unknown top-level field', hook({ extra: true }), 'extra'],
    ['unknown event field', hook({ events: [event({ foo: 1 })] }), 'events[0].foo'],
  ];
  it.each(cases)('%s', (_label, payload, path) => {
    const lenient = validatePayload(payload, { kind: 'webhook' });
    expect(lenient.valid).toBe(true);
    expect(lenient.warnings.map((w) => w.path)).toContain(path);
    const strict = validatePayload(payload, { kind: 'webhook', strict: true });
    expect(strict.valid).toBe(false);
    expect(strict.errors.map((e) => e.path)).toContain(path);
    expect(strict.warnings).toEqual([]);
  });
});

describe('detectKind', () => {
  it.each([
    [hook(), 'webhook'],
    [outbound(), 'message'],
    [{ mId: 'x' }, 'message-response'],
    [{ error: { message: 'x' } }, 'message-response'],
    [{ channelId: 5, message: text }, 'dev-api-send'],
    [[1, 2], undefined],
    [{ hello: 1 }, undefined],
  ] as const)('%j -> %s', (payload, kind) => {
    expect(detectKind(payload)).toBe(kind);
  });
});

describe('ID types', () => {
  it.each([
    ['+60177872890', 'phone', undefined],
    ['60177872890', 'phone', /leading/],
    ['+0123456789', 'phone', /E\.164/],
    ['tg_555=+/@x', 'custom', undefined],
    ['a'.repeat(50), 'custom', undefined],
    ['a'.repeat(51), 'custom', /at most 50/],
    ['semi;colon', 'custom', /cannot hold: ";"/],
  ] as const)('%s as %s', (id, type, problem) => {
    const result = contactIdProblem(id, type);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toMatch(problem);
  });

  it('parses Developer API identifiers, encoded or not', () => {
    expect(parseContactIdentifier('phone:%2B60177872890')).toEqual({ kind: 'phone', value: '+60177872890' });
    expect(parseContactIdentifier('phone:+60177872890')).toEqual({ kind: 'phone', value: '+60177872890' });
    expect(parseContactIdentifier('id:123')).toEqual({ kind: 'id', value: 123 });
    expect(parseContactIdentifier('email:a%40b.co')).toEqual({ kind: 'email', value: 'a@b.co' });
    expect(parseContactIdentifier('id:abc')).toBeUndefined();
    expect(parseContactIdentifier('nothing')).toBeUndefined();
  });
});
