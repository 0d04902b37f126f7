/**
 * The webchat template in a real browser (Debian's Chromium): a business's site on one origin
 * embeds the widget with one script tag from the bridge on another, under a strict CSP. The
 * visitor writes (it reaches the emulator as a `message`), respond.io replies through `send`
 * (shown live, statuses up to `read` reported by the page), the page reloads and still shows
 * the conversation; HTML in messages is shown as text.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The built library (npm run build): the template's `custom-channel` import then resolves to
// dist/index.js; from src/, jiti would transpile the whole library first (about 30 s here).
import { scaffold } from '../dist/scaffold/index.js';
import { runSend } from '../dist/send/run.js';
import { type OwnStack, startLocalStack } from '../dist/send/stack.js';
import { launchChromium } from './support/inspector-stack.js';

const VISITOR_TEXT = 'Is the <b>blue</b> jacket in stock? <img src=x onerror="window.pwned=1">';
const REPLY_TEXT = 'Yes! <script>window.pwned=2</script> Size M & L.';

function startSite(bridge: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    const widget = `${bridge()}/webchat/widget.js`;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      // The business's own strict policy: the widget needs nothing inline.
      'content-security-policy': `default-src 'self'; script-src 'self' ${bridge()}; connect-src ${bridge()}; img-src https: data:; style-src 'self'`,
    });
    res.end(`<!doctype html><html><head><title>Acme shop</title></head><body>
<h1>Acme shop</h1><p>Jackets, coats and more.</p>
<script src="${widget}" data-title="Acme support" defer></script></body></html>`);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }),
  );
}

describe('webchat widget (Chromium, real emulator + bridge, send)', { timeout: 60_000 }, () => {
  let folder: string;
  let stack: OwnStack;
  let site: { server: Server; origin: string };
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'webchat-e2e-'));
    const { dir } = await scaffold({ dir: join(folder, 'shop-chat'), template: 'webchat', install: false });
    site = await startSite(() => stack.bridgeUrl);
    stack = await startLocalStack({ cwd: dir, env: { WEBCHAT_ALLOWED_ORIGINS: site.origin } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(site.origin);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await new Promise((resolve) => site?.server.close(resolve));
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  const ready = () => page.locator('[data-respondio-webchat][data-ready="true"]').waitFor({ state: 'attached' });
  const incoming = () => stack.emulator.listMessages({ traffic: 'incoming' }).filter((m) => m.message.type === 'text');

  it('carries a conversation both ways, with statuses, and keeps it across a reload', async () => {
    await ready();
    await page.locator('.launcher').click();
    await page.locator('input[name=text]').fill(VISITOR_TEXT);
    await page.locator('input[name=text]').press('Enter');

    // The visitor's message reaches respond.io as a `message` of a Custom ID contact.
    await expect
      .poll(() => incoming().find((m) => m.message.type === 'text' && m.message.text === VISITOR_TEXT))
      .toBeTruthy();
    const visitorId = incoming().find((m) => m.message.type === 'text' && m.message.text === VISITOR_TEXT)
      ?.contactId as string;
    expect(visitorId).toMatch(/^v[0-9a-f]{24}$/);

    // respond.io replies through `send`; the open page reports delivered, then read.
    const report = await runSend({
      stack,
      to: visitorId,
      content: { text: REPLY_TEXT },
      expect: ['sent', 'delivered', 'read'],
      timeoutMs: 15_000,
    });
    expect(report.ok, report.summary).toBe(true);
    const reply = page.locator('.msg.business').last();
    expect(await reply.textContent()).toBe(REPLY_TEXT);

    // HTML in either direction is text: no element came out of it, nothing ran.
    expect(await page.locator('.msg.visitor').last().textContent()).toBe(VISITOR_TEXT);
    expect(await page.locator('.messages b, .messages script, .messages img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();

    // Back later: the conversation is still there (durable on the bridge, same visitor token).
    await page.reload();
    await ready();
    await expect.poll(() => page.locator('.msg').allTextContents()).toEqual([VISITOR_TEXT, REPLY_TEXT]);
    await mkdir('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'webchat.png') });

    // The replay after the reload reported nothing twice.
    const statuses = stack.emulator
      .listMessages({ contactId: visitorId, traffic: 'outgoing' })[0]
      ?.statuses.map((s) => s.value);
    expect(statuses).toEqual(['pending', 'sent', 'delivered', 'read']);
    expect(problems).toEqual([]);
  });
});
