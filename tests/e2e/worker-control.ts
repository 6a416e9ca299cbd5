import type { BrowserContext, CDPSession, Page } from '@playwright/test';
import { expect } from './fixtures';

/** The alarm the background wakes itself with while jobs run (utils/runner/keep-alive.ts). */
export const RECOVER_ALARM = 'sora-threads-recover';

/** The few extension calls the worker tests make from a page. */
interface ChromeApi {
  runtime: { sendMessage(msg: unknown): Promise<unknown> };
  alarms: {
    get(name: string): Promise<{ name: string; periodInMinutes?: number } | undefined>;
    create(name: string, info: { delayInMinutes?: number; when?: number }): Promise<void>;
  };
}
type G = { chrome: ChromeApi };

/**
 * Stops the extension's service worker the way Chrome does when it idles one out (CDP
 * ServiceWorker.stopWorker on the running version), and reports its running status.
 */
export async function workerControl(context: BrowserContext, page: Page, extensionId: string) {
  const cdp: CDPSession = await context.newCDPSession(page);
  const versions = new Map<string, { scriptURL: string; runningStatus: string }>();
  cdp.on('ServiceWorker.workerVersionUpdated', (e: { versions: { versionId: string; scriptURL: string; runningStatus: string }[] }) => {
    for (const v of e.versions) versions.set(v.versionId, v);
  });
  await cdp.send('ServiceWorker.enable');
  const ours = () => [...versions.entries()].filter(([, v]) => v.scriptURL.startsWith(`chrome-extension://${extensionId}/`));
  const status = () =>
    ours()
      .map(([, v]) => v.runningStatus)
      .join(',');
  return {
    status,
    async stop(): Promise<void> {
      await expect.poll(status, { timeout: 5_000, intervals: [10, 25, 50] }).toContain('running');
      for (const [versionId, v] of ours()) if (v.runningStatus === 'running') await cdp.send('ServiceWorker.stopWorker', { versionId });
      await expect.poll(status, { timeout: 5_000, intervals: [10, 25, 50] }).toBe('stopped');
    },
    async waitRunning(): Promise<void> {
      await expect.poll(status, { timeout: 10_000, intervals: [25, 50, 100] }).toBe('running');
    },
  };
}

export async function alarm(page: Page): Promise<{ periodInMinutes?: number } | null> {
  return page.evaluate(async (name) => (await (globalThis as unknown as G).chrome.alarms.get(name)) ?? null, RECOVER_ALARM);
}

/** Wakes a stopped worker the way a page does: any runtime message starts it (start-up recovery runs). */
export async function wakeByMessage(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as G).chrome.runtime.sendMessage({ type: 'wake-up' }).catch(() => undefined));
}

/** Wakes it the way Chrome does on its own: the extension's recovery alarm fires (brought forward to 1 s). */
export async function wakeByAlarm(page: Page): Promise<void> {
  await page.evaluate((name) => (globalThis as unknown as G).chrome.alarms.create(name, { when: Date.now() + 1_000 }), RECOVER_ALARM);
}
