import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectAccessible, launchChromium } from '../support/browser.ts';

// The check every browser journey runs on each page it visits must be able to fail: axe's
// violations (in the page, in a later state of the same page, in a frame) and sideways scrolling
// at 390 px. A frame that may run no script (the demo inbox shows emails in one) is skipped.

const page = (body: string) => `<html lang="en"><head><title>Check</title></head><body><main><h1>Check</h1>${body}</main></body></html>`;

describe('the accessibility check of the browser journeys', () => {
  let browser: Browser;
  let tab: Page;
  before(async () => {
    browser = await launchChromium();
    tab = await browser.newPage();
  });
  after(() => browser.close());

  it('passes a clean page, then fails it once a nameless button appears (axe already loaded)', async () => {
    await tab.setContent(page('<p>Fine.</p>'));
    await expectAccessible(tab, 'clean');
    await tab.evaluate(() => document.querySelector('main')!.insertAdjacentHTML('beforeend', '<button></button>'));
    await assert.rejects(expectAccessible(tab, 'nameless button'), /button-name/);
  });

  it('fails a page wider than a 390 px phone', async () => {
    await tab.setContent(page('<div style="width: 900px">Wide</div>'));
    await assert.rejects(expectAccessible(tab, 'wide'), /sideways scrolling at 390 px/);
  });

  it('finds a violation inside a frame; a sandboxed frame without scripts is skipped', async () => {
    const inner = '<html lang=en><head><title>Inner</title></head><body><main><button></button></main></body></html>';
    await tab.setContent(page(`<iframe title="inner" srcdoc="${inner}"></iframe>`));
    await assert.rejects(expectAccessible(tab, 'frame'), /button-name/);
    await tab.setContent(page(`<iframe title="inner" sandbox="allow-popups" srcdoc="${inner}"></iframe>`));
    await expectAccessible(tab, 'sandboxed frame');
  });
});
