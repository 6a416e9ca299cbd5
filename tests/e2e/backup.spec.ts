import { readFileSync } from 'node:fs';
import type { Page, Worker } from '@playwright/test';
import { expect, test } from './fixtures';
import { configureRelay } from './helpers';

type Local = { get(k: string | null): Promise<Record<string, unknown>> };
const threadsIn = (sw: Worker) =>
  sw.evaluate(async () => {
    const all = await (globalThis as unknown as { chrome: { storage: { local: Local } } }).chrome.storage.local.get(null);
    return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('thread:')));
  });

async function generate(popup: Page, prompt: string) {
  await popup.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('textbox', { name: 'Prompt' })).toHaveValue('');
}

test('export → clear → import round-trips every thread; a corrupt file changes nothing', async ({
  openPage,
  relay,
  serviceWorker,
}, info) => {
  const options = await openPage('options');
  await configureRelay(options, relay);
  const popup = await openPage('popup');
  await generate(popup, 'a paper boat on a rainy street');
  relay.enqueue({ name: 'http-error', status: 400, message: 'Your request was rejected by the safety system' });
  await generate(popup, 'this one is refused');
  const panel = await openPage('sidepanel');
  await expect(panel.locator('video')).toHaveCount(1, { timeout: 20_000 });
  await expect(panel.getByRole('button', { name: 'Retry' })).toBeVisible();
  const before = await threadsIn(serviceWorker);
  expect(Object.keys(before)).toHaveLength(2);

  const [download] = await Promise.all([options.waitForEvent('download'), options.getByRole('button', { name: 'Export history' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^sora-threads-\d{4}-\d{2}-\d{2}\.json$/);
  const file = info.outputPath('export.json');
  await download.saveAs(file);
  const text = readFileSync(file, 'utf8');
  expect(text).not.toContain(relay.apiKey);
  await expect(options.getByRole('status').filter({ hasText: 'Exported 2 thread(s)' })).toBeVisible();

  // Clear the history through the background, as deleting in the side panel does.
  for (const key of Object.keys(before)) {
    await options.evaluate(
      (threadId) =>
        (globalThis as unknown as { chrome: { runtime: { sendMessage(m: object): Promise<unknown> } } }).chrome.runtime.sendMessage({
          type: 'deleteThread',
          threadId,
        }),
      key.slice('thread:'.length),
    );
  }
  await expect(panel.getByRole('article')).toHaveCount(0);
  expect(await threadsIn(serviceWorker)).toEqual({});

  const input = options.getByLabel('Import history file');
  await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(text.slice(0, text.length / 2)) });
  await expect(options.getByRole('alert').filter({ hasText: 'not valid JSON' })).toBeVisible();
  const damaged = JSON.parse(text) as { threads: { turns: { status: string }[] }[] };
  damaged.threads[0]!.turns[0]!.status = 'exploded';
  await input.setInputFiles({ name: 'damaged.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(damaged)) });
  await expect(options.getByRole('alert').filter({ hasText: 'damaged at threads.0.turns.0.status' })).toBeVisible();
  expect(await threadsIn(serviceWorker)).toEqual({});

  await input.setInputFiles({ name: 'export.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect(options.getByRole('status').filter({ hasText: 'Imported: 2 new, 0 updated, 0 already here.' })).toBeVisible();
  // The history comes back whole; the state of this browser's local copies is not part of a file.
  expect(withoutCopyState(await threadsIn(serviceWorker))).toEqual(withoutCopyState(before));
  await expect(panel.getByRole('article')).toHaveCount(2);
  await expect(panel.locator('video')).toHaveCount(1);

  await input.setInputFiles({ name: 'export.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect(options.getByRole('status').filter({ hasText: 'Imported: 0 new, 0 updated, 2 already here.' })).toBeVisible();
});

function withoutCopyState(threads: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(threads).map(([key, thread]) => {
      const t = thread as { turns: Record<string, unknown>[] };
      return [key, { ...t, turns: t.turns.map(({ media: _local, ...turn }) => turn) }];
    }),
  );
}
