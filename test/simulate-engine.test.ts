import { afterEach, describe, expect, it } from 'vitest';
import { adaptCasesToCapabilities, buildBuiltinCases, buildCaseFromValue, selectCases } from '../src/simulate/cases.js';
import {
  checkErrorBody,
  checkEventsValid,
  checkEventTypes,
  checkMId,
  type ObservedResponse,
} from '../src/simulate/checks.js';
import { runCases } from '../src/simulate/engine.js';
import { createEventObserver } from '../src/simulate/observer.js';
import {
  applyOverrides,
  applyPlaceholders,
  buildPlaceholderValues,
  parseOverride,
  parsePath,
} from '../src/simulate/placeholders.js';
import { type BrokenKind, startBrokenServer, type TestServer } from './support/broken-servers.js';

const values = buildPlaceholderValues('chan-1', '+60177872890', () => 1767225600000);

describe('placeholders and overrides', () => {
  it('fills placeholders, keeping {{now}} a number', () => {
    const out = applyPlaceholders(
      { channelId: '{{channelId}}', t: '{{now}}', id: 'x-{{mId}}', list: ['{{contactId}}'], u: '{{uuid}}' },
      values,
    ) as Record<string, unknown>;
    expect(out.channelId).toBe('chan-1');
    expect(out.t).toBe(1767225600000);
    expect(out.id).toMatch(/^x-sim-[a-z0-9]+-\d+$/);
    expect(out.list).toEqual(['+60177872890']);
    expect(out.u).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives a fresh mId each time', () => {
    const a = applyPlaceholders('{{mId}}', values);
    const b = applyPlaceholders('{{mId}}', values);
    expect(a).not.toBe(b);
  });

  it.each([
    ['message.text', ['message', 'text']],
    ['events[0].mId', ['events', 0, 'mId']],
    ['a[1][2]', ['a', 1, 2]],
  ])('parses path %s', (text, path) => {
    expect(parsePath(text)).toEqual(path);
  });

  it.each(['', '.a', 'a.', 'a..b', '[0]', 'a[x]'])('rejects malformed path %j', (text) => {
    expect(parsePath(text)).toBeUndefined();
  });

  it.each([
    ['message.text=hi there', 'hi there'],
    ['n=42', 42],
    ['flag=true', true],
    ['v=null', null],
    ['o={"a":[1]}', { a: [1] }],
    ['s="42"', '42'],
    ['e=', ''],
  ])('parses override %s as JSON-ish', (raw, value) => {
    expect(parseOverride(raw).value).toEqual(value);
  });

  it('refuses an override without path=value, as a usage error', () => {
    expect(() => parseOverride('novalue')).toThrow(/expected path=value/);
  });

  it('applies overrides on a copy, creating parents', () => {
    const base = { message: { type: 'text', text: 'a' } };
    const out = applyOverrides(base, [parseOverride('message.text=b'), parseOverride('extra.list[1]=7')]);
    expect(out).toEqual({ message: { type: 'text', text: 'b' }, extra: { list: [undefined, 7] } });
    expect(base.message.text).toBe('a');
  });
});

describe('cases', () => {
  it('has every outbound catalogue type plus auth and bad-request probes', () => {
    const names = buildBuiltinCases().map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['outbound/text', 'outbound/location', 'auth/wrong-token']));
    expect(names.filter((n) => n.startsWith('outbound/'))).toHaveLength(8);
  });

  it('selects by name and prefix, and names an unknown case', () => {
    const all = buildBuiltinCases();
    expect(selectCases(all, ['auth/']).map((c) => c.name)).toEqual(['auth/wrong-token', 'auth/no-token']);
    expect(() => selectCases(all, ['nope'])).toThrow(/unknown case "nope"/);
  });

  it('expects a 4xx for types the adapter does not support, and receipts only when it reports them', () => {
    const sms = adaptCasesToCapabilities(buildBuiltinCases(), {
      messageTypes: ['text', 'quick_reply', 'location'],
      statuses: ['sent'],
    });
    const byName = Object.fromEntries(sms.map((c) => [c.name, c.expect]));
    expect(byName['outbound/attachment-image']).toEqual({ status: '4xx', eventTypes: [] });
    expect(byName['outbound/text']).toEqual({ status: 200 });
    expect(byName['auth/wrong-token']).toEqual({ status: 401, eventTypes: [] });
  });

  it('reads provider fixtures and refuses webhook bodies', () => {
    const provider = buildCaseFromValue({ path: '/webhooks/provider', body: { kind: 'message' } }, 'f.json');
    expect(provider).toMatchObject({ leg: 'provider', method: 'POST', expect: { status: 200 } });
    expect(() => buildCaseFromValue({ channelId: 'x', contactId: 'y', events: [] }, 'w.json')).toThrow(
      /a webhook payload/,
    );
  });
});

describe('checks', () => {
  const response = (body: unknown, json = true, status = 200): ObservedResponse => ({
    status,
    headers: { 'content-type': json ? 'application/json' : 'text/html' },
    body,
    json,
    latencyMs: 3,
  });

  it('mid-shape passes { mId } and names what is wrong otherwise', () => {
    expect(checkMId(response({ mId: 'abc' })).ok).toBe(true);
    expect(checkMId(response({ ok: true })).message).toMatch(/mId: is required/);
    expect(checkMId(response({ mId: 'x'.repeat(51) })).ok).toBe(false);
  });

  it('error-body names a leaked stack trace', () => {
    const html = '<pre>Error: boom\n    at handler (/srv/app.js:1:2)</pre>';
    expect(checkErrorBody(response(html, false, 500)).message).toMatch(/stack trace/);
    expect(checkErrorBody(response({ error: { message: 'no' } }, true, 400)).ok).toBe(true);
    expect(checkErrorBody(response({ message: 'no' }, true, 400)).ok).toBe(false);
  });

  it('events-valid names the contract problem of an event respond.io refused', () => {
    const bad = {
      type: 'message' as const,
      mId: 'm1',
      contactId: 'c',
      problems: [{ path: 'events[0].timestamp', message: 'is required' }],
    };
    const check = checkEventsValid([bad]);
    expect(check.ok).toBe(false);
    expect(check.message).toBe('1 event(s) break the contract, e.g. message m1: events[0].timestamp: is required');
  });

  it('event-types names what is missing', () => {
    const event = { type: 'message_status' as const, mId: 'a', contactId: 'c', problems: [] };
    expect(checkEventTypes(['message'], [event])).toMatchObject({
      ok: false,
      message: 'missing message (got message_status)',
    });
    expect(checkEventTypes([], [event]).ok).toBe(false);
  });
});

describe('engine against deliberately broken servers', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function run(kind: BrokenKind) {
    server = await startBrokenServer(kind);
    const results = await runCases(buildBuiltinCases(), {
      target: server.url,
      token: server.token,
      placeholders: values,
      authTimeLimitMs: 300,
    });
    const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.name}:${c.name}`));
    return { results, failed };
  }

  it('a correct server passes every check', async () => {
    const { failed, results } = await run('correct');
    expect(failed).toEqual([]);
    expect(results.find((r) => r.name === 'auth/wrong-token')?.request.headers.authorization).toMatch(/^Bearer sim/);
  });

  it('200 without mId fails mid-shape on every outbound case', async () => {
    const { failed } = await run('no-mid');
    expect(failed).toHaveLength(8);
    expect(new Set(failed.map((f) => f.split(':')[1]))).toEqual(new Set(['mid-shape']));
  });

  it('never answering a wrong token fails wrong-token', async () => {
    const { failed, results } = await run('hangs-on-wrong-token');
    expect(failed).toEqual(['auth/wrong-token:wrong-token', 'auth/no-token:wrong-token']);
    expect(results.find((r) => r.name === 'auth/wrong-token')?.checks[0].message).toMatch(/no answer within 300 ms/);
  });

  it('an HTML stack trace fails error-body (and the 401 status)', async () => {
    const { failed, results } = await run('html-stack-trace');
    expect(failed).toContain('auth/wrong-token:error-body');
    expect(failed).toContain('invalid/unknown-type:error-body');
    expect(failed).toContain('auth/wrong-token:wrong-token');
    const body = results.find((r) => r.name === 'invalid/unknown-type')?.checks.find((c) => c.name === 'error-body');
    expect(body?.message).toMatch(/stack trace/);
  });

  it('with an observer, attributes events by mId and checks their types', async () => {
    server = await startBrokenServer('correct');
    const observer = createEventObserver();
    const text = selectCases(buildBuiltinCases(), ['outbound/text']);
    const pending = runCases(text, {
      target: server.url,
      token: server.token,
      placeholders: values,
      observer,
      eventWaitMs: 2000,
    });
    setTimeout(() => {
      observer.push({ type: 'message_status', mId: 'other', contactId: 'c', status: 'sent', problems: [] });
      observer.push({ type: 'message_status', mId: 'broken-1', contactId: 'c', status: 'sent', problems: [] });
    }, 50);
    const [result] = await pending;
    expect(result.events?.map((e) => e.mId)).toEqual(['broken-1']);
    expect(result.ok).toBe(true);
  });
});
