/*
 * The Videos job API end to end, against the mock relay in new-api's and grok2api's shapes:
 * choose the protocol, generate with a duration and size, watch progress rise, play the local
 * copy, download the exact bytes, modify (remix), and read failures in the relay's words.
 */
import { readFileSync } from 'node:fs';
import type { Locator, Page } from '@playwright/test';
import { contentBytes, startRelay, type Relay } from '../relay/index';
import { expect, test } from './fixtures';
import { configureJobs, recordTurnUpdates } from './helpers';
import { wakeByMessage, workerControl } from './worker-control';

const jobsTest = test.extend<{ relay: Relay; flavour: 'new-api' | 'grok2api' }>({
  flavour: ['new-api', { option: true }],
  relay: async ({ flavour }, use) => {
    const relay = await startRelay({ videos: flavour });
    await use(relay);
    await relay.close();
  },
});

interface Chrome {
  downloads: { search(q: object): Promise<{ state: string; filename: string }[]> };
}

async function generate(popup: Page, prompt: string, seconds?: string, size?: string): Promise<void> {
  await popup.reload();
  await popup.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
  if (seconds) await popup.getByRole('combobox', { name: 'Duration' }).selectOption(seconds);
  if (size) await popup.getByRole('combobox', { name: 'Size' }).selectOption(size);
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('textbox', { name: 'Prompt' })).toHaveValue('');
}

/** The version's player plays, from the local copy (a blob: URL of this extension). */
async function expectPlaysLocalCopy(version: Locator): Promise<void> {
  const video = version.locator('video');
  await expect(video).toHaveAttribute('src', /^blob:chrome-extension:\/\//);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
  await video.evaluate(async (v: HTMLVideoElement) => {
    v.muted = true;
    await v.play();
  });
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThan(0);
}

jobsTest(
  'new-api: generate with duration and size, progress rises, the local copy plays and downloads exact bytes, Modify remixes',
  async ({ openPage, relay }) => {
    const options = await openPage('options');
    await configureJobs(options, relay, 'sora-2', /confirmed, new-api style/);
    const panel = await openPage('sidepanel');
    const seen = await recordTurnUpdates(panel);
    const popup = await openPage('popup');
    const PROMPT = 'A lighthouse at dusk, waves breaking';
    await generate(popup, PROMPT, '8', '1280x720');

    const thread = panel.getByRole('article', { name: PROMPT });
    const v1 = thread.getByRole('listitem', { name: 'Version 1' });
    await expect(v1.getByText('Completed', { exact: true })).toBeVisible({ timeout: 30_000 });
    await expectPlaysLocalCopy(v1);

    // What the extension sent: one create, multipart, with the chosen duration and size.
    expect(relay.videoJobs).toHaveLength(1);
    const job = relay.videoJobs[0]!;
    expect(job.form?.fields).toMatchObject({ model: 'sora-2', prompt: PROMPT, seconds: '8', size: '1280x720' });
    const creates = relay.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    // The relay's CDN link is the "Open video" link; the key never went there.
    await expect(v1.getByRole('link', { name: 'Open video' })).toHaveAttribute('href', job.cdnUrl!);
    expect(relay.authLeaks()).toEqual([]);

    const { progress } = await seen();
    expect(progress.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);

    // Download saves the local copy: the exact bytes the relay served.
    await v1.getByRole('button', { name: 'Download' }).click();
    await expect(v1.getByText('Download started.')).toBeVisible();
    await expect
      .poll(
        () =>
          panel.evaluate(() =>
            (globalThis as unknown as { chrome: Chrome }).chrome.downloads.search({}).then((l) => l.map((d) => d.state)),
          ),
        { timeout: 10_000 },
      )
      .toEqual(['complete']);
    const [item] = await panel.evaluate(() => (globalThis as unknown as { chrome: Chrome }).chrome.downloads.search({}));
    expect(readFileSync(item!.filename).equals(contentBytes(job.spec.content))).toBe(true);

    // Modify this video: the relay's remix of the job, then the new version plays.
    await thread.getByRole('textbox', { name: 'Modify this video' }).fill('make it snow');
    await thread.getByRole('button', { name: 'Send' }).click();
    const v2 = thread.getByRole('listitem', { name: 'Version 2' });
    await expect(v2.getByText('Completed', { exact: true })).toBeVisible({ timeout: 30_000 });
    expect(relay.videoJobs).toHaveLength(2);
    expect(relay.videoJobs[1]!.remixOf).toBe(job.id);
    expect(relay.requests.filter((r) => r.method === 'POST' && r.path === `/v1/videos/${job.id}/remix`)).toHaveLength(1);
    await expectPlaysLocalCopy(v2);
  },
);

jobsTest.describe('grok2api', () => {
  jobsTest.use({ flavour: 'grok2api' });

  jobsTest(
    'the video comes only from /content with the key; no remix → a clear message and a new video from the instruction',
    async ({ openPage, relay }) => {
      const options = await openPage('options');
      await configureJobs(options, relay, 'grok-imagine-video', /grok2api style/);
      const panel = await openPage('sidepanel');
      const popup = await openPage('popup');
      const PROMPT = 'A calico cat playing a piano on stage';
      await generate(popup, PROMPT, '6', '720x1280');
      const thread = panel.getByRole('article', { name: PROMPT });
      const v1 = thread.getByRole('listitem', { name: 'Version 1' });
      await expect(v1.getByText('Completed', { exact: true })).toBeVisible({ timeout: 30_000 });
      await expectPlaysLocalCopy(v1);
      // No link of the relay's own to open: grok2api serves the bytes only with the key.
      await expect(v1.getByRole('link', { name: 'Open video' })).toHaveCount(0);
      const content = relay.requests.filter((r) => r.path === `/v1/videos/${relay.videoJobs[0]!.id}/content`);
      expect(content.length).toBeGreaterThanOrEqual(1);
      expect(content.every((r) => r.headers.authorization === `Bearer ${relay.apiKey}`)).toBe(true);

      await thread.getByRole('textbox', { name: 'Modify this video' }).fill('now in the rain');
      await thread.getByRole('button', { name: 'Send' }).click();
      const v2 = thread.getByRole('listitem', { name: 'Version 2' });
      await expect(v2.getByText('Failed', { exact: true })).toBeVisible({ timeout: 15_000 });
      await expect(v2).toContainText('This relay cannot modify a video');
      expect(relay.videoJobs).toHaveLength(1);
      await v2.getByRole('button', { name: 'New video from this instruction' }).click();
      const v3 = thread.getByRole('listitem', { name: 'Version 3' });
      await expect(v3.getByText('Completed', { exact: true })).toBeVisible({ timeout: 30_000 });
      // A fresh create with the words alone, never a second remix.
      expect(relay.videoJobs).toHaveLength(2);
      expect(relay.videoJobs[1]!.prompt).toBe('now in the rain');
      expect(relay.videoJobs[1]!.remixOf).toBeUndefined();
    },
  );

  jobsTest("a failed job shows the relay's words; one without any words still reads clearly", async ({ openPage, relay }) => {
    const options = await openPage('options');
    await configureJobs(options, relay, 'grok-imagine-video', /grok2api style/);
    const panel = await openPage('sidepanel');
    const popup = await openPage('popup');
    relay.enqueueJob({ outcome: 'failed', reason: 'Video upstream returned 403' }, { outcome: 'failed', failure: 'no-message' });
    await generate(popup, 'first refused');
    await generate(popup, 'second refused');
    const first = panel.getByRole('article', { name: 'first refused' });
    await expect(first.getByText('Failed', { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(first).toContainText('Video upstream returned 403');
    const second = panel.getByRole('article', { name: 'second refused' });
    await expect(second.getByText('Failed', { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(second).toContainText(/video_generation_failed|without saying why/);
    // Each job was created once: a failure is never re-sent on its own.
    expect(relay.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos')).toHaveLength(2);
  });
});

jobsTest(
  'a worker stopped after the create polls the same job again and never creates it twice',
  async ({ openPage, relay, context, extensionId }) => {
    relay.setJobScenario({ slow: 3 });
    const options = await openPage('options');
    await configureJobs(options, relay, 'sora-2', /new-api style/);
    const panel = await openPage('sidepanel');
    const popup = await openPage('popup');
    await generate(popup, 'survives a worker stop');
    await expect.poll(() => relay.videoJobs.length, { timeout: 10_000 }).toBe(1);
    // Stop the service worker the way Chrome does when it idles out, then let a page wake it.
    const worker = await workerControl(context, panel, extensionId);
    await worker.stop();
    await wakeByMessage(panel);
    const thread = panel.getByRole('article', { name: 'survives a worker stop' });
    await expect(thread.getByText('Completed', { exact: true })).toBeVisible({ timeout: 60_000 });
    expect(relay.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos')).toHaveLength(1);
    expect(relay.videoJobs[0]!.polls).toBeGreaterThanOrEqual(1);
  },
);
