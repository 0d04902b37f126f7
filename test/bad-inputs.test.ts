/**
 * The bad-input corpus (test/support/bad-inputs.ts) against every server: no answer is a 5xx,
 * and every server still answers its probe afterwards (issue 13).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BadInput, buildCorpus } from './support/bad-inputs.js';
import { BRIDGE_CHANNEL, BRIDGE_TOKEN, MOCK_API_KEY, openServers, type Servers } from './support/servers-under-test.js';

let servers: Servers;
let corpus: BadInput[];
beforeAll(async () => {
  servers = await openServers();
  corpus = buildCorpus({
    bridgeToken: BRIDGE_TOKEN,
    bridgeChannel: BRIDGE_CHANNEL,
    emulatorChannel: servers.channel,
    devApiToken: servers.devApiToken,
    mockApiKey: MOCK_API_KEY,
    stubAuth: servers.stubAuth,
  });
});
afterAll(() => servers?.close());

describe('bad inputs', () => {
  it('the corpus has at least 200 cases, on every server', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((c) => c.server))).toEqual(
      new Set(['bridge', 'emulator', 'inspector', 'mock-provider', 'provider-stub']),
    );
  });

  for (const server of ['bridge', 'emulator', 'inspector', 'mock-provider', 'provider-stub'] as const) {
    it(`${server}: no case is answered 5xx, and it keeps serving`, async () => {
      const target = servers.byName[server];
      const failures: string[] = [];
      let sent = 0;
      for (const bad of corpus.filter((c) => c.server === server)) {
        const answer = await target.send(bad.request).catch((error: Error) => ({ status: 0, body: error.message }));
        sent += 1;
        if (answer.status >= 500 || answer.status === 0) {
          failures.push(`${bad.name} -> ${answer.status} ${answer.body.slice(0, 160)}`);
        }
      }
      expect(sent).toBeGreaterThan(10);
      expect(failures).toEqual([]);
      const probe = await target.send(target.probe);
      expect(probe.status, probe.body).toBeLessThan(300);
      for (const url of target.reads) {
        const read = await target.send({ method: 'GET', url });
        expect(read.status, `${url}: ${read.body.slice(0, 200)}`).toBeLessThan(300);
      }
    });
  }
});
