import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { startEmulator } from '../emulator/index.ts';
import { launchChromium } from '../test/support/browser.ts';
import { claimedSignup } from '../test/support/journeys.ts';
import { startTestSystem } from '../test/support/system.ts';

// npm run bench:web: the JavaScript a first visit downloads, as served (brotli), measured in
// Chromium against the page-weight budgets. It builds nothing: it serves the build in web/dist
// (`npm run build:web` first; BENCH_WEB_DIST for another one) from the demo system on PGlite with
// the Microsoft emulator, and opens each page in a fresh browser context (empty cache):
//   - /           the landing page, the baseline every ratio is measured against
//   - /signup     <= 90 KB brotli
//   - /connect    <= 110 KB brotli, with a claimed signup link (the wizard's first step)
// "Transferred" is the encoded body size of every script response until the network is idle.

const KB = 1024;
const webDist = process.env.BENCH_WEB_DIST ?? 'web/dist';
if (!existsSync(`${webDist}/index.html`)) {
  console.error(`No build in ${webDist}: run npm run build:web first.`);
  process.exit(1);
}

interface Weight {
  bytes: number;
  decoded: number;
  scripts: Array<{ name: string; bytes: number; encoding: string }>;
}

async function scriptWeight(context: BrowserContext, url: string, ready: (page: Page) => Promise<unknown>): Promise<Weight> {
  const page = await context.newPage();
  const pending: Array<Promise<Weight['scripts'][number] & { decoded: number }>> = [];
  page.on('requestfinished', (request) => {
    if (request.resourceType() !== 'script') return;
    pending.push(
      (async () => {
        const [sizes, response] = await Promise.all([request.sizes(), request.response()]);
        const decoded = (await response?.body().catch(() => undefined))?.length ?? 0;
        return { name: new URL(request.url()).pathname, bytes: sizes.responseBodySize, decoded, encoding: (await response?.headerValue('content-encoding')) ?? 'identity' };
      })(),
    );
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  await ready(page);
  await page.waitForLoadState('networkidle');
  const scripts = await Promise.all(pending);
  await page.close();
  return { bytes: scripts.reduce((sum, s) => sum + s.bytes, 0), decoded: scripts.reduce((sum, s) => sum + s.decoded, 0), scripts };
}

const emulator = await startEmulator({ scenario: 'ready' });
const system = await startTestSystem('pglite', { webDist, emulator });
const chromium = await launchChromium();
try {
  const origin = system.url!;
  const fresh = async (cookies: Parameters<BrowserContext['addCookies']>[0] = []) => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    if (cookies.length > 0) await context.addCookies(cookies);
    return context;
  };
  const heading = (page: Page) => page.locator('#main h1').first().waitFor({ timeout: 20_000 });

  const baseline = await scriptWeight(await fresh(), `${origin}/`, heading);
  const signup = await scriptWeight(await fresh(), `${origin}/signup`, (page) => page.getByLabel('Legal company name').waitFor({ timeout: 20_000 }));

  // A claimed signup link: the claim over HTTP, then its session cookie in a fresh context.
  const { browser } = await claimedSignup(system);
  const cookies = browser.allCookies().map((cookie) => ({ ...cookie, url: origin }));
  const connect = await scriptWeight(await fresh(cookies), `${origin}/connect`, (page) => page.getByRole('heading', { level: 2 }).first().waitFor({ timeout: 20_000 }));

  const rows: Array<[string, Weight, number | undefined]> = [
    ['/ (baseline)', baseline, undefined],
    ['/signup', signup, 90],
    ['/connect', connect, 110],
  ];
  console.log(`JavaScript transferred on a first visit (Chromium, empty cache, as served), build ${webDist}`);
  let over = false;
  for (const [label, weight, budget] of rows) {
    const kb = weight.bytes / KB;
    const encodings = [...new Set(weight.scripts.map((s) => s.encoding))].join('+');
    const verdict = budget === undefined ? '' : kb <= budget ? `budget ${budget} KB: within budget` : `budget ${budget} KB: OVER BUDGET`;
    if (budget !== undefined && kb > budget) over = true;
    console.log(
      `  ${label.padEnd(14)} ${kb.toFixed(1).padStart(6)} KB ${encodings.padEnd(8)} (${(weight.decoded / KB).toFixed(0).padStart(4)} KB unpacked, ${String(weight.scripts.length).padStart(2)} files, ${(weight.bytes / baseline.bytes).toFixed(2)}x baseline)   ${verdict}`,
    );
    if (process.env.BENCH_VERBOSE) for (const s of weight.scripts) console.log(`      ${(s.bytes / KB).toFixed(1).padStart(6)} KB  ${s.name}`);
  }
  if (over) process.exitCode = 1;
} finally {
  await chromium.close();
  await system.dispose();
  await emulator.close();
}
