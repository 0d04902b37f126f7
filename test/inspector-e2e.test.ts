/**
 * The inspector in a real browser (Debian's Chromium) over the real stack: emulator, bridge
 * with the generic-http adapter, mock provider. The page is opened first, then traffic flows.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startInspectorStack } from './support/inspector-stack.js';

const AISHA = '+60177872890';
const TOM = '+447700900123';

describe('inspector page (Chromium, real emulator + bridge + mock provider)', () => {
  let stack: Awaited<ReturnType<typeof startInspectorStack>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    stack = await startInspectorStack();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(stack.inspector.url);
    await page.locator('#live.on').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows bubbles and status ticks live while the exchange happens', async () => {
    stack.mock.setScenario(AISHA, 'read');
    await stack.mock.injectInbound({ from: AISHA, fromName: 'Aisha Rahman', text: 'Hi! Where is my order #1042?' });
    await page.locator(`[data-contact="${AISHA}"]`).click();
    await expect
      .poll(() => page.locator('.msg.inbound .content').first().textContent())
      .toBe('Hi! Where is my order #1042?');

    const sending = stack.emulator.sendMessage({
      contactId: AISHA,
      message: { type: 'text', text: 'It shipped this morning.' },
    });
    const bubble = page.locator('.msg.outbound', { hasText: 'It shipped this morning.' });
    await bubble.waitFor();
    await sending;
    await bubble.locator('.ticks[data-status="read"]').waitFor();
    await expect.poll(() => bubble.locator('.ticks').getAttribute('title')).toMatch(/sent[\s\S]*delivered[\s\S]*read/);

    // Both legs under the bubble: respond.io -> bridge, bridge -> provider, callbacks, webhooks.
    await bubble.locator('.legs > summary').click();
    const legs = await bubble.locator('.x .leg').allTextContents();
    expect(new Set(legs)).toEqual(
      new Set(['respond.io → bridge', 'bridge → provider', 'provider → bridge', 'bridge → respond.io']),
    );

    stack.mock.setScenario(TOM, 'failed');
    await stack.emulator.sendMessage({ contactId: TOM, message: { type: 'text', text: 'Your parcel is delayed' } });
    await stack.mock.idle();
    await page.locator(`[data-contact="${TOM}"]`).click();
    const failed = page.locator('.msg.outbound', { hasText: 'Your parcel is delayed' });
    await failed.locator('.ticks[data-status="failed"]').waitFor();
    expect(await failed.locator('.failed-reason').textContent()).toMatch(/^✕ failed: .+/);
  });

  it('sends from the compose box through the bridge to the provider', async () => {
    await page.locator(`[data-contact="${AISHA}"]`).click();
    const before = stack.mock.sends().length;
    await page.locator('#c-contact').fill(AISHA);
    await page.locator('#c-type').selectOption('quick_reply');
    await page.locator('#c-fields [name=title]').fill('How was your delivery?');
    await page.locator('#c-fields [name=replies]').fill('Great, OK, Bad');
    await page.locator('#c-send').click();
    await expect.poll(() => page.locator('#c-result').textContent()).toMatch(/^sent/);
    await expect.poll(() => stack.mock.sends().length).toBe(before + 1);
    expect(stack.mock.sends().at(-1)).toMatchObject({
      to: AISHA,
      body: { type: 'buttons', buttons: ['Great', 'OK', 'Bad'] },
    });
    const bubble = page.locator('.msg.outbound', { hasText: 'How was your delivery?' });
    await bubble.locator('.chip', { hasText: 'Great' }).waitFor();
    await bubble.locator('.ticks[data-status="read"]').waitFor();
  });

  it('replays a captured request and edits one before replaying', async () => {
    // Replay the provider's last status callback: the bridge takes it again, respond.io sees a repeat.
    const bubble = page.locator('.msg.outbound', { hasText: 'It shipped this morning.' });
    const callback = bubble.locator('.x', { has: page.locator('.leg', { hasText: 'provider → bridge' }) }).last();
    await callback.locator('summary').click();
    await callback.locator('button.replay').click();
    await page.locator('.toast', { hasText: 'replayed' }).first().waitFor();
    await bubble.locator('.replayed').first().waitFor();
    const replays = stack.inspector.history.list().filter((e) => e.kind === 'replay');
    expect(
      replays.map((e) => e.kind === 'replay' && [e.exchange.leg, e.exchange.direction, e.exchange.status]),
    ).toEqual([['provider', 'in', 200]]);

    // Edit & replay the respond.io -> bridge /message with another text: the bridge sends it on.
    const message = bubble.locator('.x', { has: page.locator('.leg', { hasText: 'respond.io → bridge' }) }).first();
    await message.locator('summary').click();
    await message.locator('button.edit-replay').click();
    const dialog = page.locator('#replay-dialog');
    const body = JSON.parse(await dialog.locator('textarea[name=body]').inputValue());
    body.message.text = 'Edited and replayed';
    await dialog.locator('textarea[name=body]').fill(JSON.stringify(body, null, 2));
    await dialog.locator('button.send-replay').click();
    await expect.poll(() => dialog.locator('.result-body').textContent()).toMatch(/^200 /);
    await expect.poll(() => stack.mock.sends().at(-1)?.body.text).toBe('Edited and replayed');
    await dialog.locator('button', { hasText: 'Close' }).click();
    // The bridge's /message answer came from a request respond.io never made: flagged, not hidden.
    const direct = page.locator('.msg.outbound', { hasText: 'Edited and replayed' });
    await expect.poll(() => direct.locator('.anomalies').textContent()).toMatch(/not sent by respond\.io/);
  });

  it('filters by contact, type and status, and copies a request as curl with $TOKEN', async () => {
    const contacts = () =>
      page.locator('.contacts .contact').evaluateAll((els) => els.map((e) => e.getAttribute('data-contact')));
    await page.locator('#f-status').selectOption('failed');
    await expect.poll(contacts).toEqual([TOM]);
    await page.locator('#f-status').selectOption('');
    await page.locator('#f-type').selectOption('quick_reply');
    await expect.poll(contacts).toEqual([AISHA]);
    await page.locator(`[data-contact="${AISHA}"]`).click();
    await expect.poll(() => page.locator('.msg').count()).toBe(1);
    await page.locator('#f-type').selectOption('');
    await page.locator('#f-contact').fill('4477');
    await expect.poll(contacts).toEqual([TOM]);
    await page.locator('#f-contact').fill('');

    await page.locator(`[data-contact="${AISHA}"]`).click();
    const bubble = page.locator('.msg.outbound', { hasText: 'It shipped this morning.' });
    const send = bubble.locator('.x', { has: page.locator('.leg', { hasText: 'respond.io → bridge' }) }).first();
    if (!(await send.isVisible())) await bubble.locator('.legs > summary').click();
    if (!(await send.locator('button.curl').isVisible())) await send.locator('summary').click();
    await send.locator('button.curl').click();
    await page.locator('.toast', { hasText: 'curl copied' }).waitFor();
    const curl = await page.evaluate(() => navigator.clipboard.readText());
    expect(curl).toMatch(/^curl -X POST 'http:\/\/127\.0\.0\.1:\d+\/message' /);
    expect(curl).toContain('-H "authorization: Bearer $TOKEN"');
    expect(curl).toContain('It shipped this morning.');
    expect(curl).not.toContain(stack.token);
  });

  it('never shows the token and saves a screenshot', async () => {
    await page.locator(`[data-contact="${AISHA}"]`).click();
    const html = await page.content();
    expect(html).not.toContain(stack.token);
    expect(html).not.toContain(stack.mock.apiKey);
    expect(pageErrors).toEqual([]);
    await stack.inspector.history.flush();
    const saved = await readFile(join(stack.dir, 'inspector.ndjson'), 'utf8');
    expect(saved.split('\n').length).toBeGreaterThan(20);
    expect(saved).not.toContain(stack.token);
    expect(saved).not.toContain(stack.mock.apiKey);
    // A fresh page (nothing expanded), the first outbound message's exchanges open, for the artifact.
    await stack.mock.idle();
    await page.setViewportSize({ width: 1360, height: 1000 });
    await page.reload();
    await page.locator(`[data-contact="${AISHA}"]`).click();
    const shipped = page.locator('.msg.outbound', { hasText: 'It shipped this morning.' });
    await shipped.locator('.legs > summary').click();
    await page.evaluate(() => {
      document.getElementById('timeline')?.scrollTo(0, 0);
    });
    await mkdir('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'inspector.png') });
  });
});
