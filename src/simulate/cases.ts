/**
 * What `simulate` replays: respond.io's outbound messages from the shipped catalogue, the
 * auth and bad-request probes every integration server must answer correctly, the project's
 * own provider fixtures, and user files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { z } from 'zod';
import { detectKind } from '../contract/validate.js';
import type { EventType } from '../contract/webhook.js';
import { usageError } from '../errors.js';
import { fixturesDir, loadCatalogue, loadFixture } from '../fixtures.js';
import { parseJsonText } from '../input.js';

/** What a case expects back. */
export interface CaseExpectation {
  /** `'4xx'`: any client error (respond.io's contract asks for 400, 401 for auth). */
  status: number | '4xx';
  /** Respond.io event types that must reach the emulator because of this case. */
  eventTypes?: EventType[];
}

export interface SimulateCase {
  /** `outbound/text`, `auth/wrong-token`, `provider/inbound-text`, or a file path. */
  name: string;
  description: string;
  /** `respondio`: POST `/message` as respond.io. `provider`: POST the project's webhook route. */
  leg: 'respondio' | 'provider';
  method: string;
  /** Path on the target, e.g. `/message` or `/webhooks/provider`. */
  path: string;
  /** Extra headers; values may hold placeholders and `{{hmac-sha256:ENV_NAME}}` (signed raw body). */
  headers: Record<string, string>;
  /** Which bearer token goes with a `/message` request. */
  auth: 'valid' | 'wrong' | 'none';
  body: unknown;
  expect: CaseExpectation;
}

/** Outbound catalogue cases, then the probes: what `simulate --all` runs against any server. */
export function buildBuiltinCases(dir = fixturesDir()): SimulateCase[] {
  const outbound = loadCatalogue(dir)
    .filter((entry) => entry.kind === 'message')
    .map(
      (entry): SimulateCase => ({
        name: entry.name,
        description: `respond.io sends: ${entry.description}`,
        leg: 'respondio',
        method: 'POST',
        path: '/message',
        headers: {},
        auth: 'valid',
        body: withPlaceholders(loadFixture(entry, dir)),
        expect: { status: 200, eventTypes: ['message_status'] },
      }),
    );
  const text = outbound.find((c) => c.name === 'outbound/text')?.body ?? {
    channelId: '{{channelId}}',
    contactId: '{{contactId}}',
    message: { type: 'text', text: 'Hello' },
  };
  const probe = (name: string, description: string, extra: Partial<SimulateCase>): SimulateCase => ({
    name,
    description,
    leg: 'respondio',
    method: 'POST',
    path: '/message',
    headers: {},
    auth: 'valid',
    body: text,
    expect: { status: '4xx' },
    ...extra,
  });
  return [
    ...outbound,
    probe('auth/wrong-token', 'a wrong bearer token must get 401 with a JSON error, at once', {
      auth: 'wrong',
      expect: { status: 401, eventTypes: [] },
    }),
    probe('auth/no-token', 'no Authorization header must get 401 with a JSON error, at once', {
      auth: 'none',
      expect: { status: 401, eventTypes: [] },
    }),
    probe('invalid/unknown-type', 'a message type respond.io does not define must get 400 with a JSON error', {
      body: { ...(text as object), message: { type: 'sticker', sticker: 'cat' } },
      expect: { status: '4xx', eventTypes: [] },
    }),
    probe('invalid/not-json', 'a body that is not JSON must get 4xx with a JSON error, not a crash', {
      headers: { 'content-type': 'application/json' },
      body: { $raw: '{"channelId": ' },
      expect: { status: '4xx', eventTypes: [] },
    }),
  ];
}

/**
 * Tunes respond.io cases to what the adapter declares: a type it does not support must get a
 * 4xx (not a crash), and receipts are expected only from providers that send them.
 */
export function adaptCasesToCapabilities(
  cases: readonly SimulateCase[],
  capabilities: { messageTypes: readonly string[]; statuses: readonly string[] },
): SimulateCase[] {
  const receipts = capabilities.statuses.some((s) => s !== 'sent');
  return cases.map((c) => {
    if (c.leg !== 'respondio' || c.expect.status !== 200) return c;
    const type = (c.body as { message?: { type?: string } } | undefined)?.message?.type;
    if (type && !capabilities.messageTypes.includes(type)) {
      return {
        ...c,
        description: `${c.description} (not supported by this adapter: expects 400)`,
        expect: { status: '4xx', eventTypes: [] },
      };
    }
    return receipts ? c : { ...c, expect: { status: 200 } };
  });
}

/** Catalogue payloads carry real-looking IDs; point them at the channel and contact under test. */
function withPlaceholders(payload: unknown): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  return { ...payload, channelId: '{{channelId}}', contactId: '{{contactId}}' };
}

/**
 * A provider request fixture: the route, headers (signature placeholders allowed) and body
 * the provider would send, and what respond.io should receive because of it.
 */
export const ProviderFixtureSchema = z.object({
  description: z.string().optional(),
  method: z.string().default('POST'),
  path: z.string().startsWith('/'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown(),
  expect: z
    .object({
      status: z.union([z.int(), z.literal('4xx')]).default(200),
      eventTypes: z.array(z.enum(['message', 'message_echo', 'message_status'])).optional(),
    })
    .default({ status: 200 }),
});

/** Turns one JSON document into a case: a `/message` body, or a provider request fixture. */
export function buildCaseFromValue(value: unknown, name: string): SimulateCase {
  const provider =
    value && typeof value === 'object' && 'path' in value ? ProviderFixtureSchema.safeParse(value) : null;
  if (provider?.success) {
    const f = provider.data;
    return {
      name,
      description: f.description ?? `provider request to ${f.path}`,
      leg: 'provider',
      method: f.method.toUpperCase(),
      path: f.path,
      headers: f.headers,
      auth: 'none',
      body: f.body,
      expect: { status: f.expect.status, eventTypes: f.expect.eventTypes },
    };
  }
  const kind = detectKind(value);
  if (kind !== 'message') {
    const what = kind ? `a ${kind} payload` : 'not a payload simulate knows';
    throw usageError(
      `${name}: ${what}`,
      'simulate replays /message bodies, or provider fixtures { "path": "/webhooks/...", "body": {...} }',
    );
  }
  return {
    name,
    description: 'respond.io sends (user file)',
    leg: 'respondio',
    method: 'POST',
    path: '/message',
    headers: {},
    auth: 'valid',
    body: value,
    expect: { status: 200, eventTypes: ['message_status'] },
  };
}

/** Reads a user fixture file as a case. */
export function loadCaseFile(file: string): SimulateCase {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw usageError(`${file}: cannot read`, 'pass a JSON file, a case name, or --list to see the cases');
  }
  return buildCaseFromValue(parseJsonText(text, file), file);
}

/** Provider fixtures of a project: every `*.json` under `<root>/fixtures/simulate/`, as `provider/<name>`. */
export function loadProjectCases(root: string, folder = join('fixtures', 'simulate')): SimulateCase[] {
  const dir = join(root, folder);
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return [];
    names = readdirSync(dir).filter((n) => extname(n) === '.json');
  } catch {
    return [];
  }
  return names.sort().map((n) => {
    const file = join(dir, n);
    const value = parseJsonText(readFileSync(file, 'utf8'), relative(root, file));
    return { ...buildCaseFromValue(value, `provider/${basename(n, '.json')}`) };
  });
}

/**
 * Picks the cases to run: names (exact, or a prefix such as `outbound/`), file paths, or all.
 * @example selectCases(all, ['outbound/text', 'auth/']) // the text case and both auth probes
 */
export function selectCases(all: readonly SimulateCase[], wanted: readonly string[]): SimulateCase[] {
  if (wanted.length === 0) return [...all];
  const out: SimulateCase[] = [];
  for (const want of wanted) {
    if (want.endsWith('.json')) {
      out.push(loadCaseFile(want));
      continue;
    }
    const matches = all.filter((c) => c.name === want || (want.endsWith('/') && c.name.startsWith(want)));
    if (matches.length === 0) {
      throw usageError(`unknown case ${JSON.stringify(want)}`, 'run `custom-channel simulate --list` to see the cases');
    }
    out.push(...matches);
  }
  return out;
}
