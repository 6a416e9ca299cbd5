import path from 'node:path';
import { chromium, expect, test as base, type BrowserContext, type Page, type Worker } from '@playwright/test';
import { startRelay, type Relay } from '../relay/index';
import { chromiumPath, extensionArgs, extensionWorker } from './chromium';

/** The built extension (`npx wxt build` first; EXTENSION_DIR=… tests another build). */
export const EXTENSION_DIR = process.env.EXTENSION_DIR ?? path.resolve('.output/chrome-mv3');

export type ExtensionPage = 'popup' | 'sidepanel' | 'options';

export interface ExtensionOptions {
  /**
   * Extra Chromium switches, e.g. `test.use({ locale: 'zh-CN', chromiumArgs: ['--lang=zh-CN'] })`
   * for a browser in another language (Playwright's `locale` applies to this context too).
   */
  chromiumArgs: string[];
}

export interface ExtensionFixtures {
  /** A fresh mock relay per test, closed after it. */
  relay: Relay;
  /** A persistent Chromium context with the extension loaded (extensions need one). */
  context: BrowserContext;
  /** The extension's background service worker. */
  serviceWorker: Worker;
  extensionId: string;
  /** Opens chrome-extension://ID/NAME.html in a new tab. */
  openPage: (name: ExtensionPage) => Promise<Page>;
}

export const test = base.extend<ExtensionFixtures & ExtensionOptions>({
  chromiumArgs: [[], { option: true }],

  // `{}`: Playwright reads a fixture's dependencies from its first parameter's pattern; none here.
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the pattern, and this fixture needs nothing
  relay: async ({}, use) => {
    const relay = await startRelay();
    await use(relay);
    await relay.close();
  },

  context: async ({ chromiumArgs }, use) => {
    const context = await chromium.launchPersistentContext('', {
      executablePath: chromiumPath(),
      headless: true,
      args: [...extensionArgs(EXTENSION_DIR), ...chromiumArgs],
    });
    await use(context);
    await context.close();
  },

  serviceWorker: async ({ context }, use) => {
    // The worker may have registered before we look, or only just after.
    const worker = await extensionWorker(context);
    await use(worker);
  },

  extensionId: async ({ serviceWorker }, use) => {
    await use(new URL(serviceWorker.url()).host);
  },

  openPage: async ({ context, extensionId }, use) => {
    await use(async (name) => {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${name}.html`);
      return page;
    });
  },
});

export { expect };
