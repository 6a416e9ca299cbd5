import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page, Worker } from '@playwright/test';
import { expect, test } from './fixtures';
import { backgroundReady } from './helpers';

type Chrome = {
  storage: {
    local: { set(i: Record<string, unknown>): Promise<void> };
    session: { set(i: Record<string, unknown>): Promise<void> };
  };
};

const THREADS = 300;
/** A side panel's shape: narrow and tall. */
const PANEL = { width: 400, height: 800 };
/** Rendered players allowed at once: the cards within 2 screens each way of an 800px view (about 1,100px each here). */
const MAX_VIDEOS = 24;

/** `n` finished threads of three versions each, newest ("Bulk thread n-1") first. */
async function seed(sw: Worker, relayUrl: string, n: number) {
  await backgroundReady(sw);
  await sw.evaluate(
    async ({ url, n }) => {
      const now = Date.now();
      const index: object[] = [];
      const items: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const id = `thr_scroll${i}`;
        const turns = [0, 1, 2].map((k) => ({
          id: `turn_${i}_${k}`,
          prompt: `scene ${i}, change ${k}`,
          status: 'completed',
          progress: 100,
          taskId: `task_${i}_${k}`,
          videoUrl: `${url}/files/task_${i}_${k}.mp4`,
          previewUrl: `${url}/files/task_${i}_${k}.webp`,
          content: `> ID: task_${i}_${k}\n[video](${url}/files/task_${i}_${k}.mp4)`,
          // The sample video is 16:9: announced so, its player keeps its box when it loads.
          echo: { orientation: 'landscape' },
          createdAt: now - (n - i) * 60_000 - (3 - k),
          startedAt: now - (n - i) * 60_000,
          finishedAt: now - (n - i) * 60_000 + 30_000,
        }));
        const thread = {
          id,
          title: `Bulk thread ${i}`,
          model: 'sora-2',
          createdAt: turns[0]!.createdAt,
          updatedAt: now,
          origin: 'popup',
          turns,
        };
        items[`thread:${id}`] = thread;
        index.unshift({
          id,
          title: thread.title,
          model: 'sora-2',
          createdAt: thread.createdAt,
          updatedAt: now,
          turnCount: 3,
          lastStatus: 'completed',
        });
      }
      items['threads:index'] = index;
      await (globalThis as unknown as { chrome: Chrome }).chrome.storage.local.set(items);
    },
    { url: relayUrl, n },
  );
}

async function openPanel(context: BrowserContext, extensionId: string): Promise<Page> {
  const panel = await context.newPage();
  await panel.setViewportSize(PANEL);
  await panel.goto(`chrome-extension://${extensionId}/sidepanel.html`);
  return panel;
}

const card = (panel: Page, i: number) => panel.getByRole('article', { name: `Bulk thread ${i}`, exact: true });
const height = (panel: Page, i: number) => card(panel, i).evaluate((el) => el.getBoundingClientRect().height);
const scrollHeight = (panel: Page) => panel.evaluate(() => document.documentElement.scrollHeight);

/** Jumps to the end (as the End key does) until "Show more" has loaded every thread. */
async function scrollToEnd(panel: Page) {
  await expect(async () => {
    await panel.evaluate(() => scrollTo(0, document.documentElement.scrollHeight));
    await expect(panel.getByRole('button', { name: /^Show more/ })).toHaveCount(0, { timeout: 500 });
  }).toPass({ timeout: 45_000 });
  await expect(panel.getByRole('article')).toHaveCount(THREADS);
  await panel.evaluate(() => scrollTo(0, document.documentElement.scrollHeight));
}

test('300 threads: only the cards near the view stay rendered, far ones keep their height, and come back', async ({
  context,
  extensionId,
  serviceWorker,
  relay,
}) => {
  test.setTimeout(120_000);
  await seed(serviceWorker, relay.url, THREADS);
  const panel = await openPanel(context, extensionId);
  const top = THREADS - 1;
  await expect(card(panel, top).locator('video')).toHaveCount(3, { timeout: 20_000 });
  await expect
    .poll(() =>
      card(panel, top)
        .locator('video')
        .first()
        .evaluate((v: HTMLVideoElement) => v.readyState),
    )
    .toBeGreaterThanOrEqual(1);
  const firstHeight = await height(panel, top);

  // Down step by step (as a wheel does) past the first page, so the list has grown; then to the end.
  for (let i = 0; i < 50; i++) {
    await panel.evaluate(() => scrollBy(0, innerHeight / 2));
    await panel.waitForTimeout(50);
  }
  await expect.poll(() => panel.getByRole('article').count()).toBeGreaterThan(15); // past the first page
  // Scrolled past: only its heading is left.
  await expect(card(panel, top).locator('video')).toHaveCount(0);
  await expect.poll(() => panel.locator('video').count()).toBeLessThanOrEqual(MAX_VIDEOS);
  await scrollToEnd(panel);

  // Every thread is still listed by its heading (screen-reader heading navigation)...
  await expect(panel.getByRole('heading', { level: 2 })).toHaveCount(THREADS);
  // ...but only the last few are full cards.
  await expect(card(panel, 0).locator('video')).toHaveCount(3);
  await expect.poll(() => panel.locator('video').count()).toBeLessThanOrEqual(MAX_VIDEOS);
  await expect(card(panel, top).locator('video')).toHaveCount(0);
  await expect(card(panel, top).getByRole('heading', { name: `Bulk thread ${top}` })).toBeAttached();
  // The far card holds its place: same height, so the scrollbar did not jump.
  expect(Math.abs((await height(panel, top)) - firstHeight)).toBeLessThan(1);
  const total = await scrollHeight(panel);
  const { violations } = await new AxeBuilder({ page: panel }).analyze();
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);

  // Back to the top: the first card's content is there again, nothing else moved.
  await panel.evaluate(() => scrollTo(0, 0));
  await expect(card(panel, top).locator('video')).toHaveCount(3);
  await expect(card(panel, top).getByRole('button', { name: 'Download' }).first()).toBeInViewport();
  expect(Math.abs((await height(panel, top)) - firstHeight)).toBeLessThan(1);
  // The cards seen at the end are far below now: they give way too.
  await expect(card(panel, 0).locator('video')).toHaveCount(0);
  await expect.poll(() => panel.locator('video').count()).toBeLessThanOrEqual(MAX_VIDEOS);
  expect(Math.abs((await scrollHeight(panel)) - total)).toBeLessThan(2);

  // Search still reaches a thread that was a placeholder, and shows it in full.
  const search = panel.getByRole('searchbox', { name: 'Search prompts' });
  await search.fill('scene 150, change 2');
  await expect(panel.getByRole('article')).toHaveCount(1, { timeout: 15_000 });
  await expect(card(panel, 150).locator('video')).toHaveCount(3);
  await search.fill('');
  await expect(card(panel, top).locator('video')).toHaveCount(3);
});

test('what the user is in the middle of stays mounted far away: a draft, keyboard focus, a playing video, a thread asked for', async ({
  context,
  extensionId,
  serviceWorker,
  relay,
}) => {
  test.setTimeout(120_000);
  await seed(serviceWorker, relay.url, THREADS);
  const panel = await openPanel(context, extensionId);
  const [a, b, c, d] = [THREADS - 1, THREADS - 2, THREADS - 3, THREADS - 4];
  await expect(card(panel, a).locator('video')).toHaveCount(3, { timeout: 20_000 });

  const draft = card(panel, b).getByRole('textbox', { name: 'Modify this video' });
  await draft.fill('make it snow');
  const download = card(panel, c).getByRole('button', { name: 'Download' }).first();
  await download.focus();
  const player = card(panel, d).locator('video').first();
  await player.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    v.loop = true;
    return v.play();
  });

  await scrollToEnd(panel);
  // Far away and untouched: a placeholder. The others are held as they were.
  await expect(card(panel, a).locator('video')).toHaveCount(0);
  await expect(draft).toHaveValue('make it snow');
  await expect(download).toBeFocused();
  expect(await player.evaluate((v: HTMLVideoElement) => !v.paused)).toBe(true);

  // Once let go, they give way too.
  await player.evaluate((v: HTMLVideoElement) => v.pause());
  await expect(card(panel, d).locator('video')).toHaveCount(0);
  await download.evaluate((el: HTMLElement) => el.blur());
  await expect(card(panel, c).locator('video')).toHaveCount(0);

  // A focus request (notification, popup) for a far card scrolls to the real card.
  await serviceWorker.evaluate(
    (id) => (globalThis as unknown as { chrome: Chrome }).chrome.storage.session.set({ focusThread: { threadId: id, at: Date.now() } }),
    `thr_scroll${c}`,
  );
  await expect(card(panel, c)).toHaveClass(/thread--flash/);
  await expect(card(panel, c).locator('video')).toHaveCount(3);
  await expect(card(panel, c).getByRole('heading')).toBeInViewport();

  // Back at the top, the draft is still there to send.
  await panel.evaluate(() => scrollTo(0, 0));
  await expect(card(panel, b).getByRole('textbox', { name: 'Modify this video' })).toHaveValue('make it snow');
  await expect(card(panel, a).locator('video')).toHaveCount(3);
});
