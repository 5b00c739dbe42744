import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Frame, type Locator, type Page } from 'playwright-core';

// Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with an accessibility check
// (axe, and the page laid out at a phone's width) and screenshots for people to look at, kept under
// test-results/screenshots when TEST_SCREENSHOTS=1 (each costs Chromium most of a second of CPU, so a
// plain `npm test` takes only those of a failure).

export const screenshotDir = join(process.cwd(), 'test-results', 'screenshots');

// The compositor (the GPU process, in software here) runs as a thread of the browser process: one
// process less to start and talk to (the connect journey: 34-37 s of Chromium CPU against 39-43 s).
// The pages of a test share one renderer process, contexts and sites alike, where Chromium would
// start one per context and site: the pages and their cookies stay apart (a context each), and a
// renderer that already compiled the app and Playwright's injected script compiles neither again
// (the connect journey: 25-26 s of Chromium CPU against 31-35 s, 6 renderer processes instead of 30).
async function launch(): Promise<Browser> {
  disabled ??= disabledFeatures().join(',');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--in-process-gpu',
      '--renderer-process-limit=1', '--disable-site-isolation-trials',
      `--disable-features=${disabled}`,
    ],
  });
}

// A test worker (scripts/test-worker.mjs) runs one test file after another and gives them its list
// of what to do once the last one has ended. There, every file borrows the same Chromium (starting
// one costs about a second of CPU, and its renderer has compiled the app already); elsewhere (a
// process per file, the screenshots, the benchmark) each caller launches its own.
const atWorkerEnd = (globalThis as Record<symbol, unknown>)[Symbol.for('test-worker.at-end')] as Array<() => Promise<void>> | undefined;
let shared: Promise<Browser> | undefined;

/**
 * A Chromium for a test file. `close()` closes what the file opened (its contexts and pages); the
 * test worker closes the browser itself after its last file.
 */
export async function launchChromium(): Promise<Browser> {
  if (!atWorkerEnd) return launch();
  const running = shared && (await shared.catch(() => undefined));
  if (running?.isConnected()) return borrowed(running);
  shared = launch();
  const browser = await shared;
  atWorkerEnd.push(() => browser.close());
  return borrowed(browser);
}

/** `browser` as one test file sees it: closing it closes the contexts (and pages) the file opened. */
function borrowed(browser: Browser): Browser {
  const opened = new Set<BrowserContext>();
  const track = <T extends BrowserContext>(context: T): T => {
    opened.add(context);
    context.once('close', () => opened.delete(context));
    return context;
  };
  return new Proxy(browser, {
    get(target, property) {
      if (property === 'newContext') return async (...args: Parameters<Browser['newContext']>) => track(await target.newContext(...args));
      if (property === 'newPage') {
        return async (...args: Parameters<Browser['newPage']>) => {
          const page = await target.newPage(...args);
          track(page.context());
          return page;
        };
      }
      if (property === 'close') return async () => { await Promise.all([...opened].map((context) => context.close())); };
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The --disable-features list, read once per process (the playwright-core bundle is 3.6 MB). */
let disabled: string | undefined;

// Headless Chromium is the whole browser without a screen: every window a context opens gets the
// address bar's pop-ups, web pages of Chrome's own (chrome://omnibox-popup.top-chrome), loaded in
// renderer processes of their own ahead of use. Nobody types into an address bar here, and they
// cost about a quarter of Chromium's CPU in a journey (measured: 49 s against 37 s for the connect
// journey), so they are turned off.
const notWanted = ['PreloadTopChromeWebUI', 'WebUIOmniboxPopup', 'WebUIOmniboxAimPopup', 'WebUIOmniboxFullPopup'];

/**
 * The features Playwright turns off, and ours. Chromium reads only the last --disable-features it
 * is given (ours, after Playwright's), so the list must hold Playwright's too; Playwright does not
 * export it, so it is read from the playwright-core bundle (and its absence is an error, not a
 * silent loss of Playwright's settings).
 */
function disabledFeatures(): string[] {
  const bundle = readFileSync(createRequire(import.meta.url).resolve('playwright-core/lib/coreBundle'), 'utf8');
  const list = /\bdisabledFeatures = \[([^\]]*)\]/.exec(bundle)?.[1];
  const playwrights = [...(list ?? '').matchAll(/^\s*"([A-Za-z0-9]+)",?\s*$/gm)].map((match) => match[1]!);
  if (playwrights.length === 0) throw new Error('The features Playwright turns off in Chromium were not found in playwright-core/lib/coreBundle.js: update disabledFeatures() in test/support/browser.ts.');
  return [...new Set([...playwrights, ...notWanted])];
}

/** Whether the journeys keep their screenshots (TEST_SCREENSHOTS=1). */
export const screenshotsWanted = process.env.TEST_SCREENSHOTS === '1';

/**
 * A picture of the whole page (or of one element) as test-results/screenshots/<name>.png, when
 * screenshots are wanted, or always with `{ failure: true }` (what a failing step saw).
 */
export async function screenshot(target: Page | Locator, name: string, options: { failure?: boolean } = {}): Promise<void> {
  if (!screenshotsWanted && !options.failure) return;
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  if ('goto' in target) await target.screenshot({ path, fullPage: true });
  else await target.screenshot({ path });
}

/**
 * Runs a journey's steps on `page`; when one fails, the error carries what the page showed (its
 * address and text) and a failure screenshot `<name>-failed.png` is kept.
 */
export async function showingFailure<T>(page: Page, name: string, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    await screenshot(page, `${name}-failed`, { failure: true }).catch(() => {});
    const text = await page.locator('body').innerText({ timeout: 2_000 }).catch(() => '(the page could not be read)');
    if (error instanceof Error) error.message += `\nThe page at ${page.url()} showed:\n${text.slice(0, 3_000)}`;
    throw error;
  }
}

export const PHONE_WIDTH = 390;

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type AxeWindow = {
  axe?: {
    run(context: Document, options: object): Promise<AxeResults>;
    serious(results: AxeResults): Violation[];
    runPartial(context: object, options: object): Promise<unknown>;
    finishRun(partials: unknown[], options: object): Promise<AxeResults>;
    utils: { getFrameContexts(context: object): Array<{ frameSelector: unknown; frameContext: object }>; shadowSelect(selector: unknown): Element | null };
  };
};
const axeOptions = { resultTypes: ['violations'] };

// Defined in the page beside axe: the serious and critical violations of a result, each with its
// first few elements (what crosses back to the test).
const seriousInPage = `axe.serious = (results) => results.violations
  .filter((v) => v.impact === 'serious' || v.impact === 'critical')
  .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));`;

/** axe-core in this frame's document: put there once per document (a page that stays loaded keeps it). */
async function withAxe(frame: Frame): Promise<void> {
  if (await frame.evaluate(() => typeof (window as AxeWindow).axe === 'object')) return;
  await frame.evaluate(`${axeSource}\n;axe.configure({ allowedOrigins: ['<unsafe_all_origins>'] });\n${seriousInPage}`);
}

/** axe's partial results of a frame and, depth first, of the frames in it (null: a frame it could not scan). */
async function partialResults(frame: Frame, context: object): Promise<unknown[]> {
  await withAxe(frame);
  const frameContexts = await frame.evaluate((c) => (window as AxeWindow).axe!.utils.getFrameContexts(c), context);
  const own = await frame.evaluate(({ c, o }) => (window as AxeWindow).axe!.runPartial(c, o), { c: context, o: axeOptions });
  const results: unknown[] = [own];
  for (const { frameSelector, frameContext } of frameContexts) {
    try {
      const element = (await frame.evaluateHandle((selector) => (window as AxeWindow).axe!.utils.shadowSelect(selector), frameSelector)).asElement();
      // A sandboxed frame that may run no script cannot host axe (its evaluations never return).
      const scripted = await element?.evaluate((iframe) => !(iframe as HTMLIFrameElement).hasAttribute('sandbox') || (iframe as HTMLIFrameElement).sandbox.contains('allow-scripts'));
      const child = scripted ? await element?.contentFrame() : null;
      results.push(...(child ? await partialResults(child, frameContext) : [null]));
    } catch {
      results.push(null);
    }
  }
  return results;
}

/** What a check reports of a violation (all that crosses from the page to the test). */
interface Violation {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page as it is now, in every frame, scripted or not, and gives back the
 * serious and critical violations only, each with its first few elements.
 * - A page without frames is checked in the page in one call (`axe.run`).
 * - A page with frames is checked as axe's own Playwright integration does, frame by frame
 *   (`runPartial`), with one difference: the results are put together in the page itself rather
 *   than in a new blank page, which cost seconds per scan.
 * The passes, which nobody reads here, are not gathered: they cost as much again, and every result
 * crossing to the test costs the test process more than the scan costs the browser.
 */
async function seriousViolations(page: Page): Promise<Violation[]> {
  const framed = page.frames().length > 1;
  if (!framed) await withAxe(page.mainFrame());
  const partials = framed ? await partialResults(page.mainFrame(), { exclude: [] }) : null;
  return page.evaluate(({ p, o }) => {
    const axe = (window as AxeWindow).axe!;
    return (p ? axe.finishRun(p, o) : axe.run(document, o)).then((results) => axe.serious(results));
  }, { p: partials, o: axeOptions });
}

/**
 * The page as it is now is accessible: no serious or critical axe violation, and it reflows to a
 * 390 px wide phone without sideways scrolling (WCAG 1.4.10 Reflow). So every page a journey scans
 * is also laid out at 390 px (then put back); `phoneScreenshot` keeps a picture of it there.
 * Fails with every problem found: the violations, and the elements sticking out at 390 px.
 */
export async function expectAccessible(page: Page, label: string, options: { phoneScreenshot?: string } = {}): Promise<void> {
  const problems = (await seriousViolations(page)).map((v) => `${v.id}: ${v.help} (${v.targets.join(', ')})`);
  const overflow = await phoneOverflow(page, options.phoneScreenshot);
  if (overflow) problems.push(overflow);
  assert.deepEqual(problems, [], `${label}: accessibility violations or sideways scrolling at ${PHONE_WIDTH} px`);
}

/**
 * Lays the page out at 390 px wide and measures it: what sticks out when it is wider than the
 * viewport (the innermost elements, and the chain of boxes the width comes from), else nothing.
 */
async function phoneOverflow(page: Page, screenshotName?: string): Promise<string | undefined> {
  const before = page.viewportSize();
  await page.setViewportSize({ width: PHONE_WIDTH, height: 844 });
  try {
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const measured = await page.evaluate(() => {
      const viewport = window.innerWidth;
      const width = document.documentElement.scrollWidth;
      const sticking: string[] = [];
      if (width > viewport) {
        for (const element of Array.from(document.body.querySelectorAll('*'))) {
          const box = element.getBoundingClientRect();
          if (box.width === 0 || box.right <= viewport + 0.5) continue;
          // Only the innermost: a parent only sticks out because of its child.
          if (Array.from(element.children).some((child) => child.getBoundingClientRect().right > viewport + 0.5)) continue;
          const name = `${element.tagName.toLowerCase()}${element.className && typeof element.className === 'string' ? `.${element.className.trim().split(/\s+/).join('.')}` : ''}`;
          sticking.push(`${name} "${(element.textContent ?? '').trim().slice(0, 40)}" to ${Math.round(box.right)} px`);
          if (sticking.length >= 6) break;
        }
      }
      // The chain of boxes wider than the viewport, from the page down: where the width comes from
      // (none: something positioned escapes a scrolling box, e.g. visually hidden text).
      const chain: string[] = [];
      if (width > viewport) {
        let element: Element | null = document.body;
        while (element) {
          const wide: Element | undefined = Array.from(element.children).find((child) => child.getBoundingClientRect().width > viewport + 0.5);
          if (!wide) break;
          chain.push(`${wide.tagName.toLowerCase()}${typeof wide.className === 'string' && wide.className ? `.${wide.className.trim().split(/\s+/)[0]}` : ''}:${Math.round(wide.getBoundingClientRect().width)}`);
          element = wide;
          if (chain.length > 12) break;
        }
      }
      if (chain.length > 0) sticking.unshift(`widest: ${chain.join(' > ')}`);
      return { viewport, width, sticking };
    });
    if (screenshotName) await screenshot(page, screenshotName);
    return measured.width > measured.viewport ? `${measured.width} px wide at ${measured.viewport} px (${measured.sticking.join('; ')})` : undefined;
  } finally {
    if (before) await page.setViewportSize(before);
  }
}

/**
 * Fills Step 1's signup form as a partner would (company in Germany, primary contact Jana Novak),
 * with the values that differ between journeys; the caller submits it.
 */
export async function fillSignupForm(page: Page, values: { legalName: string; mpnId: string; entraDomain: string; email: string }): Promise<void> {
  const company = page.getByRole('group', { name: /Company/ });
  await company.getByLabel('Legal company name').fill(values.legalName);
  await company.getByLabel('Country').selectOption('DE');
  await company.getByLabel('Street and number').fill('Friedrichstrasse 12');
  await company.getByLabel('Postal code').fill('10117');
  await company.getByLabel('City').fill('Berlin');
  await company.getByLabel('VAT or tax ID').fill('DE123456789');
  await company.getByLabel('Microsoft Partner ID (MPN ID)').fill(values.mpnId);
  await company.getByLabel('Entra primary domain').fill(values.entraDomain);
  const contact = page.getByRole('group', { name: /Primary contact/ });
  await contact.getByLabel('First name').fill('Jana');
  await contact.getByLabel('Last name').fill('Novak');
  await contact.getByLabel('Job title').fill('Head of Cloud');
  await contact.getByLabel('Email').fill(values.email);
  await contact.getByLabel('Phone').fill('+49 30 1234567');
}
