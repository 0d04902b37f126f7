/**
 * One try of `adapter.send` (send-attempt.ts): its outcome is handed over once, whichever of
 * the send and the deadline comes first; and the context's logger, whose methods are made on
 * first read, still works when a method is read off it.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type Adapter, defineAdapter, RetryableError } from '../src/bridge/adapter.js';
import type { ContextDeps } from '../src/bridge/context.js';
import { type AttemptOutcome, startAttempt } from '../src/bridge/send-attempt.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const input = { channelId: 'c', contactId: '+60177872890', message: { type: 'text' as const, text: 'hi' } };

function depsWith(lines: Array<Record<string, unknown>>): ContextDeps {
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { channel: Object.freeze({ channelId: 'c', idType: 'phone' as const }), env: {}, fetch, now: Date.now, log };
}

const adapterSending = (send: Adapter['send']) =>
  defineAdapter({ name: 'test', capabilities: { messageTypes: ['text'], statuses: ['sent'] }, send, webhooks: [] });

describe('startAttempt', () => {
  it('hands over the outcome once: a send that fails after its deadline is not reported again', async () => {
    const outcomes: AttemptOutcome[] = [];
    const deps = depsWith([]);
    const adapter = adapterSending(async () => {
      await sleep(120);
      throw new RetryableError('late and busy');
    });
    startAttempt((outcome) => outcomes.push(outcome), adapter, input, deps, deps.log, {}, 30);
    await sleep(250);
    // Twice would start the retry loop (and queue the message) twice.
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ ok: false, retry: true, timedOut: true });
  });

  it('hands over the send outcome once when it comes first (the deadline then does nothing)', async () => {
    const outcomes: AttemptOutcome[] = [];
    const deps = depsWith([]);
    const adapter = adapterSending(async () => ({ mId: 'p-1' }));
    startAttempt((o) => outcomes.push(o), adapter, input, deps, deps.log, {}, 30);
    await sleep(80);
    expect(outcomes).toEqual([{ ok: true, mId: 'p-1' }]);
  });

  it('ctx.log: a method read off the logger keeps it (destructured, or handed over as a callback)', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const deps = depsWith(lines);
    const outcomes: AttemptOutcome[] = [];
    const adapter = adapterSending(async (_input, ctx) => {
      const { info } = ctx.log;
      info('read off', { n: 1 });
      await Promise.resolve('handed over').then(ctx.log.warn);
      ctx.log.debug('called on it');
      expect(ctx.log.info).toBe(ctx.log.info);
      return { mId: 'p-2' };
    });
    startAttempt((o) => outcomes.push(o), adapter, input, deps, deps.log, {}, 1000);
    await sleep(50);
    expect(outcomes).toEqual([{ ok: true, mId: 'p-2' }]);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'read off'],
      [40, 'handed over'],
      [20, 'called on it'],
    ]);
    expect(lines[0].n).toBe(1);
  });
});
