import type { BrowserContext, Worker } from '@playwright/test';

/** Debian's Chromium unless CHROMIUM_PATH names another (Playwright cannot download one here). */
export const chromiumPath = (): string => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags that load one unpacked extension, plus the ones a closed network needs: without the
 * background-networking switches Chromium keeps dialling Google services that are unreachable.
 */
export function extensionArgs(extensionDir: string, { headless = true } = {}): string[] {
  return [
    `--disable-extensions-except=${extensionDir}`,
    `--load-extension=${extensionDir}`,
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...(headless ? ['--no-sandbox', '--disable-gpu', '--disable-quic'] : []),
  ];
}

const isExtensionWorker = (w: Worker) => w.url().startsWith('chrome-extension://');

/** The extension's service worker, whether it registered before we looked or just after. */
export async function extensionWorker(context: BrowserContext): Promise<Worker> {
  return (
    context.serviceWorkers().find(isExtensionWorker) ?? (await context.waitForEvent('serviceworker', { predicate: isExtensionWorker }))
  );
}
