// The inspector page on loopback, in headless Chromium (Debian's package): what it weighs
// (every file the page loads, API answers included) and how soon it shows content, with a
// history of 300 exchanges to render. Targets: < 200 KB, first contentful paint < 500 ms.
import { existsSync } from 'node:fs';
import { ExchangeFeed } from '../dist/exchange.js';
import { startInspector } from '../dist/inspector/index.js';
import { median, report } from './lib.mjs';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`inspector page: skipped (${CHROMIUM} missing: apt-get install -y chromium)`);
  process.exit(0);
}
const { chromium } = await import('playwright-core');

const feed = new ExchangeFeed();
const inspector = await startInspector({
  exchanges: feed,
  bridgeUrl: 'http://127.0.0.1:9',
  token: () => 'bench-token-0123456789abcdef',
});
const t0 = Date.now() - 3_600_000;
for (let i = 0; i < 100; i += 1) {
  const contactId = `+6017787${String(2000 + (i % 10)).padStart(4, '0')}`;
  const mId = `prov-${i}`;
  const base = {
    leg: 'respondio',
    method: 'POST',
    latencyMs: 12,
    requestHeaders: { authorization: 'Bearer benc…ef', 'content-type': 'application/json' },
    contactId,
  };
  feed.publish({
    ...base,
    time: t0 + i * 1000,
    direction: 'in',
    url: '/message',
    status: 200,
    requestBody: { channelId: 'ch', contactId, message: { type: 'text', text: `Message number ${i}` } },
    responseBody: { mId },
    mId,
  });
  feed.publish({
    ...base,
    leg: 'provider',
    time: t0 + i * 1000 + 2,
    direction: 'out',
    url: 'http://127.0.0.1:4010/v1/messages',
    status: 200,
    requestBody: { to: contactId, type: 'text', text: `Message number ${i}` },
    responseBody: { id: mId, status: 'accepted' },
  });
  feed.publish({
    ...base,
    time: t0 + i * 1000 + 300,
    direction: 'out',
    url: 'http://127.0.0.1:4000/custom/channel/webhook/',
    status: 200,
    requestBody: {
      channelId: 'ch',
      contactId,
      events: [{ type: 'message_status', mId, timestamp: t0 + i * 1000 + 300, status: { value: 'read' } }],
    },
    responseBody: { status: 'ok' },
  });
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const runs = Number(process.env.BENCH_RUNS ?? 7);
const paints = [];
const bubbles = [];
let staticBytes = 0;
const dataBytes = (await (await fetch(`${inspector.url}api/entries`)).arrayBuffer()).byteLength;
try {
  for (let i = 0; i < runs; i += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const sizes = new Map();
    page.on('response', async (response) => {
      if (response.url().includes('/api/stream')) return;
      try {
        sizes.set(response.url(), (await response.body()).length);
      } catch {
        // Navigated away.
      }
    });
    await page.goto(inspector.url, { waitUntil: 'load' });
    await page.locator('.msg').first().waitFor();
    const timing = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
      bubble: performance.now(),
    }));
    paints.push(timing.fcp);
    bubbles.push(timing.bubble);
    await page.waitForLoadState('networkidle').catch(() => {});
    if (i === 0) {
      for (const [url, size] of sizes) {
        if (!url.includes('/api/')) staticBytes += size;
      }
    }
    await context.close();
  }
} finally {
  await browser.close();
  await inspector.close();
}
const kb = (bytes) => bytes / 1024;
report('inspector page weight (html, css, js)', kb(staticBytes), 'KB', {
  target: '< 200 KB',
  pass: staticBytes < 200 * 1024,
});
report('inspector history backlog sent to the page (300 exchanges)', kb(dataBytes), 'KB');
report('inspector first contentful paint (median)', median(paints), 'ms', {
  target: '< 500 ms',
  pass: median(paints) < 500,
});
report('inspector first bubble rendered, 300 exchanges (median)', median(bubbles), 'ms');
