import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page, Worker } from '@playwright/test';
import { expect, test } from './fixtures';
import { backgroundReady, configureRelay, expectPlayer, recordTurnUpdates } from './helpers';

/** Screenshots for the README, rewritten by every run. */
const DOCS = path.resolve('docs');
const SAMPLE_MP4 = readFileSync(path.resolve('tests/fixtures/media/sample.mp4'));

type Chrome = {
  storage: {
    local: { get(k: string | null): Promise<Record<string, unknown>>; set(i: Record<string, unknown>): Promise<void> };
    session: { set(i: Record<string, unknown>): Promise<void> };
  };
  downloads: { search(q: object): Promise<{ id: number; state: string; filename: string; url: string }[]> };
};

/** A value from the extension's local storage, read in the service worker. */
function stored(sw: Worker, key: string): Promise<unknown> {
  return sw.evaluate(async (k) => (await (globalThis as unknown as { chrome: Chrome }).chrome.storage.local.get(k))[k], key);
}

async function saveSettings(sw: Worker, patch: Record<string, unknown>) {
  await sw.evaluate(async (p) => {
    const local = (globalThis as unknown as { chrome: Chrome }).chrome.storage.local;
    const cur = ((await local.get('settings')).settings ?? {}) as Record<string, unknown>;
    await local.set({ settings: { ...cur, ...p } });
  }, patch);
}

async function generate(popup: Page, prompt: string) {
  const box = popup.getByRole('textbox', { name: 'Prompt' });
  await box.fill(prompt);
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(box).toHaveValue('');
}

test('options: validation errors, Test connection OK, bad key and unreachable', async ({ openPage, relay, serviceWorker }) => {
  const options = await openPage('options');
  await options.setViewportSize({ width: 820, height: 600 });
  const base = options.getByRole('textbox', { name: 'API base URL' });
  const key = options.getByLabel('API key', { exact: true });
  const concurrency = options.getByRole('spinbutton', { name: 'Videos at once' });
  const stall = options.getByRole('spinbutton', { name: 'Stall timeout (minutes)' });

  await base.fill('relay example com');
  await key.fill('sk-has a space');
  await concurrency.fill('0');
  await stall.fill('99');
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByText('That is not a valid URL')).toBeVisible();
  await expect(options.getByText('The API key cannot contain spaces')).toBeVisible();
  await expect(options.getByText('Between 1 and 10 jobs at once')).toBeVisible();
  await expect(options.getByText('Between 1 and 60 minutes')).toBeVisible();
  await expect(options.getByRole('status')).toHaveText('Nothing was saved: fix the fields marked above.');
  await expect(base).toHaveAttribute('aria-invalid', 'true');
  expect(await stored(serviceWorker, 'settings')).toBeUndefined();

  // Bad key: the relay answers 401 and the page says which field to fix.
  await base.fill(relay.url);
  await key.fill('sk-wrong-key');
  await options.getByRole('button', { name: 'Test connection' }).click();
  await expect(options.getByText(/^Bad API key: the relay refused it/)).toBeVisible();
  expect(relay.requests.filter((r) => r.path === '/v1/models').map((r) => r.headers.authorization)).toEqual(['Bearer sk-wrong-key']);

  // Nothing listens there: unreachable, not "bad key".
  await base.fill('http://127.0.0.1:9');
  await options.getByRole('button', { name: 'Test connection' }).click();
  await expect(options.getByText(/^Unreachable/)).toBeVisible();

  await base.fill(relay.url);
  await key.fill(relay.apiKey);
  await options.getByRole('button', { name: 'Test connection' }).click();
  await expect(options.getByText('Connection OK. 2 models found.')).toBeVisible();
  const models = options.getByRole('group', { name: 'Models the relay serves' });
  await expect(models.getByRole('button')).toHaveText(['sora-2', 'sora-2-pro']);
  await models.getByRole('button', { name: 'sora-2-pro' }).click();
  await expect(options.getByRole('combobox', { name: 'Model' })).toHaveValue('sora-2-pro');
  // Still nothing stored: testing is not saving.
  expect(await stored(serviceWorker, 'settings')).toBeUndefined();

  await concurrency.fill('2');
  await stall.fill('5');
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByRole('status')).toHaveText('Saved.');
  await expect(options.getByText('That is not a valid URL')).toHaveCount(0);
  expect(await stored(serviceWorker, 'settings')).toMatchObject({
    baseUrl: relay.url,
    apiKey: relay.apiKey,
    model: 'sora-2-pro',
    models: ['sora-2', 'sora-2-pro'],
    concurrency: 2,
    stallTimeoutMin: 5,
  });
  // The key is masked until asked for.
  await expect(key).toHaveAttribute('type', 'password');
  await options.getByRole('button', { name: 'Show' }).click();
  await expect(key).toHaveAttribute('type', 'text');
  await options.getByRole('button', { name: 'Hide' }).click();

  await options.getByRole('button', { name: 'Test connection' }).click();
  await expect(options.getByText('Connection OK. 2 models found.')).toBeVisible();
  await options.screenshot({ path: `${DOCS}/options.png`, fullPage: true });
});

test('options: a relay on plain http:// elsewhere than this machine is saved only once sending the key unencrypted is agreed to', async ({
  context,
  openPage,
  relay,
  serviceWorker,
  extensionId,
}) => {
  const options = await openPage('options');
  const base = options.getByRole('textbox', { name: 'API base URL' });
  const agree = options.getByRole('checkbox', { name: 'Send my API key to relay.lan.test:8080 unencrypted (plain http://)' });

  // On this machine plain http is fine: nothing to agree to.
  await base.fill(relay.url);
  await options.getByLabel('API key', { exact: true }).fill(relay.apiKey);
  await expect(options.getByRole('checkbox', { name: /unencrypted/ })).toHaveCount(0);

  await base.fill('http://relay.lan.test:8080');
  await expect(agree).not.toBeChecked();
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByText('http:// would send your API key to relay.lan.test:8080 unencrypted')).toBeVisible();
  await expect(options.getByRole('status')).toHaveText('Nothing was saved: fix the fields marked above.');
  expect(await stored(serviceWorker, 'settings')).toBeUndefined();
  // Test connection does not send the key there either.
  await options.getByRole('button', { name: 'Test connection' }).click();
  await expect(options.getByText('Enter a valid API base URL first.')).toBeVisible();

  // The browser's prompt for the one origin cannot be clicked from a test: it is granted the way
  // chrome://extensions grants a site, so Save's own request resolves at once.
  const settingsPage = await context.newPage();
  await settingsPage.goto('chrome://extensions/');
  await settingsPage.evaluate(
    ([id, pattern]) =>
      (
        globalThis as unknown as { chrome: { developerPrivate: { addHostPermission(id: string, p: string): Promise<void> } } }
      ).chrome.developerPrivate.addHostPermission(id, pattern),
    [extensionId, 'http://relay.lan.test/*'] as const,
  );
  await settingsPage.close();
  await agree.check();
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByRole('status')).toHaveText('Saved.');
  expect(await stored(serviceWorker, 'settings')).toMatchObject({
    baseUrl: 'http://relay.lan.test:8080',
    plainHttpOrigin: 'http://relay.lan.test:8080',
  });

  // Another plain-http host is a new question, and its answer is not the old one.
  await base.fill('http://other.lan.test');
  await expect(options.getByRole('checkbox', { name: 'Send my API key to other.lan.test unencrypted (plain http://)' })).not.toBeChecked();
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByText('http:// would send your API key to other.lan.test unencrypted')).toBeVisible();
  expect(await stored(serviceWorker, 'settings')).toMatchObject({ baseUrl: 'http://relay.lan.test:8080' });
});

test('options: Test connection asks for the host permission first, and keeps what was typed while it ran', async ({
  context,
  openPage,
  extensionId,
}) => {
  // A relay on another loopback address (not granted at install), slow to list its models, and
  // without CORS headers: only a host permission lets the extension read it.
  const seen: string[] = [];
  const slow = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    setTimeout(
      () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ data: [{ id: 'm-1' }, { id: 'm-2' }] })),
      1500,
    );
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.2', r));
  const url = `http://127.0.0.2:${(slow.address() as AddressInfo).port}`;
  try {
    const options = await openPage('options');
    await options.getByRole('textbox', { name: 'API base URL' }).fill(url);
    await options.getByLabel('API key', { exact: true }).fill('sk-slow');

    // The browser's prompt, answered "Deny" (a test cannot click it): nothing is sent.
    await options.evaluate(() => {
      const p = (globalThis as unknown as { chrome: { permissions: { request: unknown } } }).chrome.permissions;
      const asked: unknown[] = [];
      (globalThis as unknown as { __asked: unknown[] }).__asked = asked;
      p.request = (what: unknown, done?: (ok: boolean) => void) => (asked.push(what), done?.(false), Promise.resolve(false));
    });
    await options.getByRole('button', { name: 'Test connection' }).click();
    await expect(options.getByText(`Not tested: Sora Threads needs permission to reach ${new URL(url).host} to test it.`)).toBeVisible();
    expect(await options.evaluate(() => (globalThis as unknown as { __asked: unknown[] }).__asked)).toEqual([
      { origins: ['http://127.0.0.2/*'] },
    ]);
    expect(seen).toEqual([]);

    // Granted (the way chrome://extensions grants a site, so the page's own request resolves at once).
    await options.reload();
    const settingsPage = await context.newPage();
    await settingsPage.goto('chrome://extensions/');
    await settingsPage.evaluate(
      ([id, pattern]) =>
        (
          globalThis as unknown as { chrome: { developerPrivate: { addHostPermission(id: string, p: string): Promise<void> } } }
        ).chrome.developerPrivate.addHostPermission(id, pattern),
      [extensionId, 'http://127.0.0.2/*'] as const,
    );
    await settingsPage.close();
    await options.getByRole('textbox', { name: 'API base URL' }).fill(url);
    await options.getByLabel('API key', { exact: true }).fill('sk-slow');
    await options.getByRole('button', { name: 'Test connection' }).click();
    await expect(options.getByRole('button', { name: 'Testing…' })).toBeVisible();
    // Typed while the relay takes its time.
    await options.getByRole('combobox', { name: 'Model' }).fill('typed-meanwhile');
    await options.getByRole('spinbutton', { name: 'Videos at once' }).fill('4');
    await expect(options.getByText('Connection OK. 2 models found.')).toBeVisible();
    await expect(options.getByRole('combobox', { name: 'Model' })).toHaveValue('typed-meanwhile');
    await expect(options.getByRole('spinbutton', { name: 'Videos at once' })).toHaveValue('4');
    expect(seen).toContain('GET /v1/models');
  } finally {
    await new Promise<void>((r) => slow.close(() => r()));
  }
});

test('generate → progress rises → the relay’s video → Download (same bytes) → Copy link → delete and undo', async ({
  openPage,
  relay,
  serviceWorker,
  context,
}) => {
  const PROMPT = 'A paper boat drifting down a rainy street gutter, macro shot';
  // Quick filler chunks, but the progress steps keep their pace so the bar is seen rising.
  relay.setScenario({ name: 'seed', delayMs: 5 });
  const options = await openPage('options');
  await configureRelay(options, relay);
  const panel = await openPage('sidepanel');
  const seen = await recordTurnUpdates(panel);

  const popup = await openPage('popup');
  await generate(popup, PROMPT);
  // The popup follows the new job, and offers the side panel on it.
  await expect(popup.getByRole('button', { name: new RegExp(`^${PROMPT}`) })).toBeVisible();
  await expect(popup.getByRole('status')).toHaveText('Started. It keeps running if you close this popup.');
  await popup.close();

  const thread = panel.getByRole('article', { name: PROMPT });
  const v1 = thread.getByRole('listitem', { name: 'Version 1' });
  await expect(v1.getByText('Completed', { exact: true })).toBeVisible({ timeout: 20_000 });
  const job = relay.jobs[0]!;
  // The player is on the local copy (the relay's link expires); Open video keeps the relay's link.
  await expect(v1.locator('video')).toHaveAttribute('src', /^blob:chrome-extension:\/\//);
  await expect(v1.getByRole('link', { name: 'Open video' })).toHaveAttribute('href', job.links.video);
  await expect(v1.locator('video')).toHaveAttribute('preload', 'metadata');
  await expect(v1.locator('video')).not.toHaveAttribute('autoplay', /.*/);
  const { progress } = await seen();
  expect(progress.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(3);
  expect([...progress].sort((a, b) => a - b)).toEqual(progress);

  // Download: the extension saves its local copy under a readable name (no request to the relay).
  await panel.evaluate(() => {
    const d = (globalThis as unknown as { chrome: { downloads: { download(o: object): Promise<number> } } }).chrome.downloads;
    const real = d.download.bind(d);
    const calls: object[] = [];
    (globalThis as unknown as { __downloads: object[] }).__downloads = calls;
    d.download = (o: object) => (calls.push(o), real(o));
  });
  await v1.getByRole('button', { name: 'Download' }).click();
  await expect(v1.getByText('Download started.')).toBeVisible();
  const calls = await panel.evaluate(() => (globalThis as unknown as { __downloads: object[] }).__downloads);
  expect(calls).toEqual([
    { url: expect.stringMatching(/^blob:chrome-extension:\/\//), filename: `Sora Threads/${PROMPT}/1-${job.taskId}.mp4` },
  ]);
  await expect
    .poll(
      () =>
        panel.evaluate(() => (globalThis as unknown as { chrome: Chrome }).chrome.downloads.search({}).then((l) => l.map((d) => d.state))),
      {
        timeout: 10_000,
      },
    )
    .toEqual(['complete']);
  const [item] = await panel.evaluate(() => (globalThis as unknown as { chrome: Chrome }).chrome.downloads.search({}));
  expect(readFileSync(item!.filename).equals(SAMPLE_MP4)).toBe(true);
  // Media was fetched without the key (the player and the download alike).
  const fileRequests = relay.requests.filter((r) => r.path === `/files/${job.taskId}.mp4`);
  expect(fileRequests.length).toBeGreaterThanOrEqual(1);
  expect(relay.authLeaks()).toEqual([]);

  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await v1.getByRole('button', { name: 'Copy link' }).click();
  await expect(v1.getByText('Link copied.')).toBeVisible();
  expect(await panel.evaluate(() => navigator.clipboard.readText())).toBe(job.links.video);

  await expect(v1.getByRole('link', { name: 'Open task page' })).toHaveAttribute('href', job.links.taskPage);
  await v1.getByRole('button', { name: 'Show raw answer' }).click();
  const raw = v1.getByRole('region', { name: 'Raw answer of version 1' });
  await expect(raw).toContainText(`sid: ${job.sid}`);
  const content = ((await stored(serviceWorker, Object.keys(await allThreads(serviceWorker))[0]!)) as { turns: { content: string }[] })
    .turns[0]!.content;
  expect(await raw.textContent()).toBe(content);

  // Delete, then Undo: the same record comes back.
  const [key] = Object.keys(await allThreads(serviceWorker));
  const before = await stored(serviceWorker, key!);
  await thread.getByRole('button', { name: 'Delete thread' }).click();
  await expect(thread).toHaveCount(0);
  await expect(panel.getByText(`Deleted “${PROMPT}”.`)).toBeVisible();
  expect(await stored(serviceWorker, key!)).toBeUndefined();
  await panel.getByRole('button', { name: 'Undo' }).click();
  await expect(thread).toBeVisible();
  expect(await stored(serviceWorker, key!)).toEqual(before);
  await expectPlayer(thread, job.links.video);

  // Delete again and let the undo window pass: it is gone for good.
  await thread.getByRole('button', { name: 'Delete thread' }).click();
  await expect(thread).toHaveCount(0);
  await expect(panel.getByRole('button', { name: 'Undo' })).toHaveCount(0, { timeout: 15_000 });
  expect(await stored(serviceWorker, key!)).toBeUndefined();
  expect(await stored(serviceWorker, 'threads:index')).toEqual([]);
  await panel.reload();
  await expect(panel.getByText(/No videos yet/)).toBeVisible();
});

test('side panel: versions, failure, live progress, queue places, Modify from here, focus and search; screenshots', async ({
  openPage,
  relay,
  serviceWorker,
}) => {
  relay.setScenario({ name: 'seed', slow: 0.25 });
  const options = await openPage('options');
  await configureRelay(options, relay);
  await saveSettings(serviceWorker, { concurrency: 2 });

  const CITY = 'Aerial shot of a neon city at night, flying cars weaving between towers';
  const STADIUM = 'A packed stadium crowd doing the wave, handheld';
  const LIGHTHOUSE = 'A lighthouse on a cliff in a thunderstorm, waves crashing, cinematic';
  const GOLDEN = 'Make it golden hour, the sea calm';

  const popup = await openPage('popup');
  const panel = await openPage('sidepanel');
  await panel.setViewportSize({ width: 380, height: 1180 });

  relay.enqueue({ name: 'stall', slow: 0.25 });
  await generate(popup, CITY);
  const city = panel.getByRole('article', { name: CITY });
  await expect(city.getByRole('progressbar')).toHaveAttribute('aria-valuenow', /^[1-9]\d*$/);

  relay.enqueue({ name: 'policy', slow: 0.25 });
  await generate(popup, STADIUM);
  const stadium = panel.getByRole('article', { name: STADIUM });
  await expect(stadium.getByText('Failed', { exact: true })).toBeVisible({ timeout: 15_000 });
  await expect(stadium.getByText('This content may violate our content policies.')).toBeVisible();
  const retry = stadium.getByRole('button', { name: 'Retry' });
  await expect(retry).toHaveAccessibleDescription('starts a new generation, billed again');

  await generate(popup, LIGHTHOUSE);
  const lighthouse = panel.getByRole('article', { name: LIGHTHOUSE, exact: true });
  await expect(lighthouse.locator('video')).toHaveCount(1, { timeout: 15_000 });
  await lighthouse.getByRole('textbox', { name: 'Modify this video' }).fill(GOLDEN);
  await lighthouse.getByRole('button', { name: 'Send' }).click();
  await expect(lighthouse.locator('video')).toHaveCount(2, { timeout: 15_000 });
  // Only the older version offers "Modify from here"; the newest is modified with the box below.
  await expect(lighthouse.getByRole('listitem', { name: 'Version 1' }).getByRole('button', { name: 'Modify from here' })).toBeVisible();
  await expect(lighthouse.getByRole('listitem', { name: 'Version 2' }).getByRole('button', { name: 'Modify from here' })).toHaveCount(0);
  await expect(lighthouse.getByRole('textbox', { name: 'Modify this video' })).toBeVisible();
  for (const v of await panel.locator('video').all())
    await expect.poll(() => v.evaluate((el: HTMLVideoElement) => el.readyState)).toBeGreaterThanOrEqual(1);

  // Screenshots: the newest thread (two versions) on top, a failure and a running job below.
  await panel.evaluate(() => scrollTo(0, 0));
  for (const scheme of ['light', 'dark'] as const) {
    await panel.emulateMedia({ colorScheme: scheme });
    await panel.screenshot({ path: `${DOCS}/sidepanel-${scheme}.png` });
  }
  await panel.emulateMedia({ colorScheme: 'light' });
  await popup.setViewportSize({ width: 380, height: 300 });
  await popup.reload();
  await expect(popup.getByRole('listitem')).toHaveCount(3);
  await expect(popup.getByRole('button', { name: new RegExp(`^${CITY}.*Generating · [1-9]\\d*%`) })).toBeVisible();
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('Slow dolly shot through a misty bamboo forest at dawn');
  await popup.screenshot({ path: `${DOCS}/popup.png`, fullPage: true });
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('');

  // Both slots busy (one stalls): the next prompts wait in line, and say where.
  relay.enqueue({ name: 'stall', slow: 0.25 });
  await generate(popup, 'Timelapse of clouds over a mountain lake');
  await expect(panel.getByRole('article', { name: 'Timelapse of clouds over a mountain lake' }).getByRole('progressbar')).toHaveAttribute(
    'aria-valuenow',
    /^[1-9]\d*$/,
  );
  await generate(popup, 'A hummingbird drinking from a red flower, slow motion');
  const bird = panel.getByRole('article', { name: 'A hummingbird drinking from a red flower, slow motion' });
  await expect(bird.getByRole('status')).toHaveText('Waiting in line · #1');
  await expect(bird.getByRole('button', { name: 'Cancel' })).toBeVisible();

  // Modify from here: a new thread from version 1, shown and highlighted; it queues behind.
  await lighthouse.getByRole('listitem', { name: 'Version 1' }).getByRole('button', { name: 'Modify from here' }).click();
  await lighthouse.getByRole('textbox', { name: 'Modify from version 1' }).fill('Same lighthouse, but in a snowstorm');
  await lighthouse.getByRole('button', { name: 'Start new thread' }).click();
  const branch = panel.getByRole('article', { name: `${LIGHTHOUSE} · from v1` });
  await expect(branch).toHaveClass(/thread--flash/);
  await expect(branch).toBeInViewport();
  await expect(branch.getByRole('listitem')).toHaveCount(2);
  await expect(branch.getByRole('listitem', { name: 'Version 2' }).getByRole('status')).toHaveText('Waiting in line · #2');
  await bird.getByRole('button', { name: 'Cancel' }).click();
  await expect(bird.getByText('Cancelled', { exact: true })).toBeVisible();
  await expect(branch.getByRole('listitem', { name: 'Version 2' }).getByRole('status')).toHaveText('Waiting in line · #1');
  await expect(lighthouse.locator('video')).toHaveCount(2);

  // Focus requests from elsewhere (a notification click, the popup): scroll there and highlight.
  const index = (await stored(serviceWorker, 'threads:index')) as { id: string; title: string }[];
  const cityId = index.find((e) => e.title === CITY)!.id;
  await panel.evaluate(() => scrollTo(0, 0));
  await expect(city).not.toBeInViewport();
  await serviceWorker.evaluate(
    (id) => (globalThis as unknown as { chrome: Chrome }).chrome.storage.session.set({ focusThread: { threadId: id, at: Date.now() } }),
    cityId,
  );
  await expect(city).toBeInViewport();
  await expect(city).toHaveClass(/thread--flash/);
  const stadiumId = index.find((e) => e.title === STADIUM)!.id;
  await panel.goto(`${panel.url().split('#')[0]}#thread=${stadiumId}`);
  await panel.reload();
  await expect(stadium).toBeInViewport();

  // Search reaches every prompt, not just titles.
  const search = panel.getByRole('searchbox', { name: 'Search prompts' });
  await search.fill('golden HOUR');
  await expect(panel.getByRole('article')).toHaveCount(1);
  await expect(lighthouse).toBeVisible();
  await search.fill('snowstorm lighthouse');
  await expect(panel.getByRole('article')).toHaveCount(1);
  await expect(branch).toBeVisible();
  await search.fill('no such words');
  await expect(panel.getByText('No thread matches “no such words”')).toBeVisible();
  await search.fill('');
  await expect(panel.getByRole('article')).toHaveCount(6);
});

test('1,000 stored threads: a first page renders, more on scroll, search reads every prompt', async ({
  openPage,
  serviceWorker,
  relay,
}) => {
  await backgroundReady(serviceWorker);
  await serviceWorker.evaluate(async (url) => {
    const now = Date.now();
    const index: object[] = [];
    const items: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) {
      const id = `thr_bulk${i}`;
      const turns = [0, 1, 2].map((k) => ({
        id: `turn_${i}_${k}`,
        prompt: k === 2 && i === 987 ? 'the needle: a violet giraffe reading a newspaper' : `scene ${i}, change ${k}`,
        status: 'completed',
        progress: 100,
        taskId: `task_${i}_${k}`,
        videoUrl: `${url}/files/task_${i}_${k}.mp4`,
        previewUrl: `${url}/files/task_${i}_${k}.webp`,
        content: `> ID: task_${i}_${k}\n> 生成完成 ✅\n[视频文件](${url}/files/task_${i}_${k}.mp4)`,
        createdAt: now - (1000 - i) * 60_000 - (3 - k),
        startedAt: now - (1000 - i) * 60_000,
        finishedAt: now - (1000 - i) * 60_000 + 30_000,
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
  }, relay.url);

  const panel = await openPage('sidepanel');
  await expect(panel.getByRole('article', { name: 'Bulk thread 999', exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(panel.getByText('1,000 threads')).toBeVisible();
  const first = await panel.getByRole('article').count();
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThanOrEqual(30);
  await expect(panel.locator('video')).toHaveCount(first * 3);
  // Players far below the fold fetch nothing yet.
  expect(await panel.locator('video[preload="metadata"]').count()).toBeLessThan(first * 3);

  await panel.getByRole('button', { name: /^Show more/ }).scrollIntoViewIfNeeded();
  await expect.poll(() => panel.getByRole('article').count()).toBeGreaterThan(first);

  const search = panel.getByRole('searchbox', { name: 'Search prompts' });
  await search.fill('violet giraffe');
  await expect(panel.getByRole('article')).toHaveCount(1, { timeout: 15_000 });
  await expect(panel.getByRole('article', { name: 'Bulk thread 987', exact: true })).toBeVisible();
  await expect(panel.getByText('1 thread match')).toBeVisible({ timeout: 15_000 });
});

async function allThreads(sw: Worker): Promise<Record<string, unknown>> {
  const all = await sw.evaluate<Record<string, unknown>>(() =>
    (globalThis as unknown as { chrome: Chrome }).chrome.storage.local.get(null),
  );
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('thread:')));
}
