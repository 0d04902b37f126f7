import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depthExceededAt, MAX_JSON_DEPTH, parseJsonOrText } from '../src/lib/json-depth.js';
import { runCli } from './support/cli.js';
import { spawnEmulate } from './support/emulator-process.js';
import {
  BRIDGE_CHANNEL,
  BRIDGE_TOKEN,
  deepJson,
  MOCK_API_KEY,
  openServers,
  type Servers,
} from './support/servers-under-test.js';

// ~5,000 levels in ~30 KB: what made the servers answer 500 until reset (issue 13).
const DEEP = deepJson(5000);
const LIMIT_MESSAGE = `nested deeper than ${MAX_JSON_DEPTH} levels (the limit)`;
const json = { 'content-type': 'application/json' };

describe('depthExceededAt', () => {
  it.each([
    ['[[[1]]]', 3, -1],
    ['[[[1]]]', 2, 2],
    ['{"a":[{"b":1}]}', 2, 6],
    // Brackets in strings (and escaped quotes) do not count.
    ['{"a":"[[[[[[[[[\\"{{{{{{{{"}', 1, -1],
    [deepJson(MAX_JSON_DEPTH), MAX_JSON_DEPTH, -1],
    [deepJson(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, MAX_JSON_DEPTH * 5],
    // Objects and arrays count together: 2 of each nest 4 deep.
    ['[{"a":[{"b":1}]}]', 3, 7],
    // More brackets than the limit in all, but never deeper: the full scan decides.
    [`[${'[1],'.repeat(100)}[1]]`, 2, -1],
  ])('%s within %i -> %i', (text, limit, at) => {
    expect(depthExceededAt(text, limit)).toBe(at);
  });

  it('parseJsonOrText hands deep or broken JSON over as text', () => {
    expect(parseJsonOrText(DEEP)).toBe(DEEP);
    expect(parseJsonOrText('{"a":')).toBe('{"a":');
    expect(parseJsonOrText('{"a":[1]}')).toEqual({ a: [1] });
  });
});

describe('every server answers deep JSON with a 400 naming the limit, and keeps serving', () => {
  let servers: Servers;
  beforeAll(async () => {
    servers = await openServers();
  });
  afterAll(() => servers.close());

  it('bridge: /message (after the token check) and the provider webhook', async () => {
    const bridge = servers.byName.bridge;
    const unauth = await bridge.send({ method: 'POST', url: '/message', headers: json, payload: DEEP });
    expect(unauth.status).toBe(401);
    const message = `{"channelId":"${BRIDGE_CHANNEL}","contactId":"+60177872890","message":{"type":"text","text":"hi","x":${DEEP}}}`;
    const deep = await bridge.send({
      method: 'POST',
      url: '/message',
      headers: { ...json, authorization: `Bearer ${BRIDGE_TOKEN}` },
      payload: message,
    });
    expect(deep.status).toBe(400);
    expect(JSON.parse(deep.body).error.message).toContain(LIMIT_MESSAGE);
    const hook = await bridge.send({
      method: 'POST',
      url: '/webhooks/clicksend/inbound',
      headers: json,
      payload: DEEP,
    });
    expect(hook.status).toBe(400);
    expect(JSON.parse(hook.body).error.message).toContain(LIMIT_MESSAGE);
    expect((await bridge.send(bridge.probe)).status).toBe(200);
  });

  it('emulator: the webhook and the /v2 API; its inspection API still answers 200', async () => {
    const emulator = servers.byName.emulator;
    const { channelId, token } = servers.channel;
    const body = `{"channelId":"${channelId}","contactId":"+60177872890","events":[{"type":"message","mId":"deep-1","timestamp":1767225600000,"message":{"type":"text","text":"hi","x":${DEEP}}}]}`;
    const hook = await emulator.send({
      method: 'POST',
      url: '/custom/channel/webhook/',
      headers: { ...json, authorization: `Bearer ${token}` },
      payload: body,
    });
    expect(hook.status).toBe(400);
    expect(hook.body).toContain(LIMIT_MESSAGE);
    const v2 = await emulator.send({
      method: 'POST',
      url: '/v2/contact/phone:+60177872890/message',
      headers: { ...json, authorization: `Bearer ${servers.devApiToken}` },
      payload: `{"channelId":1,"message":{"type":"text","text":"hi","x":${DEEP}}}`,
    });
    expect(v2.status).toBe(400);
    expect(v2.body).toContain(LIMIT_MESSAGE);
    for (const url of ['/_emulator/messages', '/_emulator/contacts', '/_emulator/channels']) {
      expect((await emulator.send({ method: 'GET', url })).status).toBe(200);
    }
  });

  it('inspector, mock provider and provider stand-in', async () => {
    for (const [name, url, headers] of [
      ['inspector', '/api/compose', json],
      ['inspector', '/api/replay', json],
      ['mock-provider', '/v1/messages', { ...json, authorization: `Bearer ${MOCK_API_KEY}` }],
      ['mock-provider', '/_mock/scenario', json],
      ['provider-stub', '/v3/sms/send', servers.byName['provider-stub'].probe.headers],
    ] as const) {
      const server = servers.byName[name];
      const answer = await server.send({ method: 'POST', url, headers, payload: DEEP });
      expect(answer.status, `${name} ${url}`).toBe(400);
      expect(answer.body, `${name} ${url}`).toContain(LIMIT_MESSAGE);
      expect((await server.send(server.probe)).status, `${name} probe`).toBeLessThan(300);
    }
  });
});

describe('emulate --persist and validate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deep-json-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('emulate --persist refuses deep JSON with 400, keeps running and keeps a readable state file', async () => {
    const running = spawnEmulate(['--port', '0', '--json', '--show-secrets', '--persist'], {
      cwd: dir,
      env: { XDG_CONFIG_HOME: join(dir, 'xdg') },
    });
    try {
      const ready = JSON.parse(await running.nextLine());
      const post = (mId: string, extra: string) =>
        fetch(ready.webhookUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${ready.channel.token}`, ...json },
          body: `{"channelId":"${ready.channel.channelId}","contactId":"+60177872890","events":[{"type":"message","mId":"${mId}","timestamp":${Date.now()},"message":{"type":"text","text":"hi"${extra}}}]}`,
        });
      const deep = await post('deep-1', `,"x":${DEEP}`);
      expect(deep.status).toBe(400);
      expect((await post('ok-1', '')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 400)); // the state file is written 100 ms after a change
      expect(running.child.exitCode).toBeNull();
      const messages = await fetch(`${ready.url}/_emulator/messages`);
      expect(messages.status).toBe(200);
      const state = JSON.parse(await readFile(join(dir, 'xdg', 'custom-channel', 'emulator-state.json'), 'utf8'));
      expect(state.messages.map((m: { mId?: string }) => m.mId)).toContain('ok-1');
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  it('validate refuses a deep document with the limit, line and column (exit 2)', async () => {
    const file = join(dir, 'deep.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      file,
      `{"channelId":"gfd8g7fd89dgfd","contactId":"+60177872890","message":{"type":"custom_payload","payload":{"deep":${DEEP}}}}`,
    );
    const result = await runCli(['validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`JSON nested deeper than ${MAX_JSON_DEPTH} levels (the limit) at line 1, column`);
  });
});
