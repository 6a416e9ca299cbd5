import type { Locator, Page } from '@playwright/test';
import { expect } from './fixtures';
import type { Relay } from '../relay/index';

/** Fills and saves Options so the extension talks to the mock relay. */
export async function configureRelay(page: Page, relay: Relay, model = 'sora-2'): Promise<void> {
  await page.getByRole('textbox', { name: 'API base URL' }).fill(relay.url);
  await page.getByLabel('API key', { exact: true }).fill(relay.apiKey);
  await page.getByRole('combobox', { name: 'Model' }).fill(model);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
}

export interface Seen {
  statuses: string[];
  progress: number[];
}

/**
 * Records, in the page itself, every status text and progressbar value that is ever painted, so
 * short phases (a queue of a few hundred ms) cannot slip between two Playwright polls.
 */
export async function recordTurnUpdates(page: Page): Promise<() => Promise<Seen>> {
  await page.evaluate(() => {
    const seen = { statuses: [] as string[], progress: [] as number[] };
    (globalThis as unknown as { __seen: typeof seen }).__seen = seen;
    const scan = () => {
      for (const el of document.querySelectorAll('.turn__status-text')) {
        const s = el.textContent;
        if (seen.statuses[seen.statuses.length - 1] !== s) seen.statuses.push(s);
      }
      for (const el of document.querySelectorAll('[role="progressbar"]')) {
        const v = Number(el.getAttribute('aria-valuenow'));
        if (seen.progress[seen.progress.length - 1] !== v) seen.progress.push(v);
      }
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  return () => page.evaluate(() => (globalThis as unknown as { __seen: Seen }).__seen);
}

/**
 * Resolves once the background has migrated storage (it writes the schema version). Tests that
 * seed storage directly must wait for this, or the first-run migration could write its (empty)
 * index over theirs.
 */
export async function backgroundReady(sw: import('@playwright/test').Worker): Promise<void> {
  await expect
    .poll(() =>
      sw.evaluate(async () => {
        const local = (globalThis as unknown as { chrome: { storage: { local: { get(k: string): Promise<Record<string, unknown>> } } } })
          .chrome.storage.local;
        return (await local.get('meta:schema'))['meta:schema'] ?? null;
      }),
    )
    .not.toBeNull();
}

/**
 * A finished version's player: on the local copy (an object URL of this extension) once it is
 * saved, on the relay's link until then. Either way it loads.
 */
export async function expectPlayer(version: Locator, relayUrl: string): Promise<void> {
  const escaped = relayUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const video = version.locator('video').first();
  await expect(video).toHaveAttribute('src', new RegExp(`^(?:blob:chrome-extension://|${escaped}$)`));
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
}

/** Options: the relay, its key, the model and "Video jobs"; Test connection names the flavour. */
export async function configureJobs(options: Page, relay: Relay, model: string, confirms: RegExp): Promise<void> {
  await options.getByRole('textbox', { name: 'API base URL' }).fill(relay.url);
  await options.getByLabel('API key', { exact: true }).fill(relay.apiKey);
  await options.getByRole('combobox', { name: 'Protocol' }).selectOption({ label: 'Video jobs (/v1/videos)' });
  await options.getByRole('combobox', { name: 'Model' }).fill(model);
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByRole('status')).toHaveText('Saved.');
  await options.getByRole('button', { name: 'Test connection' }).click();
  await expect(options.locator('#test-result')).toContainText(confirms);
}
