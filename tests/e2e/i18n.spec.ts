import type { Page, Worker } from '@playwright/test';
import { expect, test } from './fixtures';
import { expectPlayer, recordTurnUpdates } from './helpers';

/*
 * The main flow in each language the extension ships, the browser started in that language. Two
 * things besides `--lang` are needed for a page to see it: on Linux Chromium takes its UI language
 * from the environment (and this Chromium ships only en-US resources), so `--accept-lang` sets the
 * preferred languages; and Playwright Test emulates its `locale` option (en-US unless set) in every
 * context, pages and service worker, over whatever the switches say. "Automatic" follows
 * `navigator.languages`, which these three together decide.
 */
const zhCN = { locale: 'zh-CN', chromiumArgs: ['--lang=zh-CN', '--accept-lang=zh-CN'] };
const enUS = { locale: 'en-US', chromiumArgs: ['--lang=en-US', '--accept-lang=en-US'] };

const PROMPT = '一只橘猫在雨夜的霓虹街头散步';

/** What the background answers a page that sends an empty prompt: its words, in its language. */
async function backgroundSays(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const runtime = (globalThis as unknown as { chrome: { runtime: { sendMessage(m: object): Promise<{ error?: string }> } } }).chrome
      .runtime;
    return (await runtime.sendMessage({ type: 'generate', prompt: '  ', origin: 'popup' })).error ?? '';
  });
}

async function browserLanguages(sw: Worker): Promise<string[]> {
  return sw.evaluate(() => [...navigator.languages]);
}

test.describe('a Chinese browser', () => {
  test.use(zhCN);

  test('options, popup and side panel read in Chinese through the main flow', async ({ openPage, relay, serviceWorker }) => {
    expect(await browserLanguages(serviceWorker)).toContain('zh-CN');
    const options = await openPage('options');
    await expect(options.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(options).toHaveTitle('Sora Threads — 设置');
    await expect(options.getByRole('heading', { name: '中转站' })).toBeVisible();
    await expect(options.getByRole('combobox', { name: '语言' })).toHaveValue('auto');
    await options.getByRole('textbox', { name: 'API 地址' }).fill('relay.example.com');
    await options.getByRole('button', { name: '保存' }).click();
    await expect(options.getByText('这不是有效的 URL，应该类似 https://relay.example.com')).toBeVisible();
    await expect(options.getByRole('status')).toHaveText('未保存：请修正上面标出的字段。');
    await options.getByRole('textbox', { name: 'API 地址' }).fill(relay.url);
    await options.getByLabel('API 密钥', { exact: true }).fill(relay.apiKey);
    await expect(options.getByRole('combobox', { name: '模型' })).toHaveValue('sora-2');
    await options.getByRole('button', { name: '测试连接' }).click();
    await expect(options.getByText('连接成功，找到 2 个模型。')).toBeVisible();
    await options.getByRole('button', { name: '保存' }).click();
    await expect(options.getByRole('status')).toHaveText('已保存。');
    await expect(options.getByRole('button', { name: '导出历史记录' })).toBeVisible();

    const panel = await openPage('sidepanel');
    await expect(panel.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(panel.getByRole('heading', { name: '还没有视频' })).toBeVisible();
    const seen = await recordTurnUpdates(panel);

    const popup = await openPage('popup');
    await expect(popup.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(popup.getByRole('heading', { name: '最近' })).toBeVisible();
    await popup.getByRole('textbox', { name: '提示词' }).fill(PROMPT);
    await expect(popup.getByRole('combobox', { name: '模型' })).toHaveValue('sora-2');
    await popup.getByRole('button', { name: '生成', exact: true }).click();
    await expect(popup.getByRole('status')).toHaveText('已开始。关闭这个弹窗后它会继续生成。');
    await popup.close();

    const thread = panel.getByRole('article', { name: PROMPT });
    const v1 = thread.getByRole('listitem', { name: '第 1 版' });
    await expect(v1.getByText('已完成', { exact: true })).toBeVisible({ timeout: 20_000 });
    const job = relay.jobs[0]!;
    await expectPlayer(v1, job.links.video);
    await expect(v1.locator('video')).toHaveAccessibleName(`第 1 版：${PROMPT}`);
    await expect(v1.getByRole('button', { name: '下载' })).toBeVisible();
    await expect(v1.getByRole('link', { name: '打开视频' })).toHaveAttribute('href', job.links.video);
    await expect(thread.getByRole('textbox', { name: '修改这个视频' })).toBeVisible();
    await expect(thread.getByRole('button', { name: '发送' })).toBeVisible();
    await expect(thread).toContainText('1 个版本');
    await expect(panel.getByText('1 个对话')).toBeVisible();
    const { statuses } = await seen();
    // Every phase was shown in Chinese, in order (a brief local "等待中" may come first).
    expect(statuses.filter((s) => s !== '等待中')).toEqual(['排队中', '生成中', '已完成']);

    await v1.getByRole('button', { name: '下载' }).click();
    await expect(v1.getByText('已开始下载。')).toBeVisible();

    // The background speaks Chinese too (its errors reach the pages as text).
    expect(await backgroundSays(panel)).toBe('请先写提示词：描述你想要的视频。');

    // A failure is kept in Chinese words around the relay's own (which stay as it wrote them).
    relay.enqueue({ name: 'http-error', status: 401 });
    await panel.evaluate(() =>
      (globalThis as unknown as { chrome: { runtime: { sendMessage(m: object): Promise<unknown> } } }).chrome.runtime.sendMessage({
        type: 'generate',
        prompt: '被拒绝的密钥',
        origin: 'popup',
      }),
    );
    const failed = panel.getByRole('article', { name: '被拒绝的密钥' });
    await expect(failed.getByText('失败', { exact: true })).toBeVisible({ timeout: 20_000 });
    await expect(failed.getByText('中转站拒绝了 API 密钥', { exact: true })).toBeVisible();
    await expect(failed).toContainText('HTTP 401 · 中转站返回： Incorrect API key provided.');
    await expect(failed).toContainText('请在设置中检查 API 密钥。');
    // The sentence kept with the turn (a notification's text) is Chinese too.
    const kept = await panel.evaluate(async () => {
      const local = (globalThis as unknown as { chrome: { storage: { local: { get(k: null): Promise<Record<string, unknown>> } } } }).chrome
        .storage.local;
      const all = await local.get(null);
      const threads = Object.values(all).filter(
        (v): v is { title: string; turns: { error?: { message: string } }[] } => !!v && typeof v === 'object' && 'turns' in v,
      );
      return threads.find((th) => th.title === '被拒绝的密钥')?.turns[0]?.error?.message;
    });
    expect(kept).toBe('中转站拒绝了 API 密钥（HTTP 401）：Incorrect API key provided.');
  });
});

test.describe('an English browser', () => {
  test.use(enUS);

  test('options, popup and side panel read in English through the main flow', async ({ openPage, relay, serviceWorker }) => {
    expect(await browserLanguages(serviceWorker)).toContain('en-US');
    const options = await openPage('options');
    await expect(options.locator('html')).toHaveAttribute('lang', 'en');
    await expect(options).toHaveTitle('Sora Threads — Options');
    await expect(options.getByRole('combobox', { name: 'Language' })).toHaveValue('auto');
    await options.getByRole('textbox', { name: 'API base URL' }).fill(relay.url);
    await options.getByLabel('API key', { exact: true }).fill(relay.apiKey);
    await options.getByRole('button', { name: 'Test connection' }).click();
    await expect(options.getByText('Connection OK. 2 models found.')).toBeVisible();
    await options.getByRole('button', { name: 'Save' }).click();
    await expect(options.getByRole('status')).toHaveText('Saved.');

    const panel = await openPage('sidepanel');
    await expect(panel.locator('html')).toHaveAttribute('lang', 'en');
    const seen = await recordTurnUpdates(panel);
    const popup = await openPage('popup');
    await popup.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
    await popup.getByRole('button', { name: 'Generate' }).click();
    await expect(popup.getByRole('status')).toHaveText('Started. It keeps running if you close this popup.');
    await popup.close();

    const thread = panel.getByRole('article', { name: PROMPT });
    const v1 = thread.getByRole('listitem', { name: 'Version 1' });
    await expect(v1.getByText('Completed', { exact: true })).toBeVisible({ timeout: 20_000 });
    await expectPlayer(v1, relay.jobs[0]!.links.video);
    await expect(v1.getByRole('button', { name: 'Download' })).toBeVisible();
    await expect(thread.getByRole('textbox', { name: 'Modify this video' })).toBeVisible();
    await expect(thread).toContainText('1 version');
    const { statuses } = await seen();
    expect(statuses.filter((s) => s !== 'Waiting in line')).toEqual(['Queued', 'Generating', 'Completed']);
    expect(await backgroundSays(panel)).toBe('Write a prompt first: describe the video you want.');
  });

  test('the language set in Options wins over the browser’s, on every page and in the background, and Automatic returns', async ({
    openPage,
    relay,
    serviceWorker,
  }) => {
    const panel = await openPage('sidepanel');
    await expect(panel.getByRole('heading', { name: 'No videos yet' })).toBeVisible();
    const options = await openPage('options');
    await options.getByRole('textbox', { name: 'API base URL' }).fill(relay.url);
    await options.getByLabel('API key', { exact: true }).fill(relay.apiKey);
    const language = options.getByRole('combobox', { name: 'Language' });
    await expect(language.getByRole('option')).toHaveText(['Automatic (browser language)', 'English', '简体中文']);
    await language.selectOption('zh-CN');
    await options.getByRole('button', { name: 'Save' }).click();

    // Options itself switches as it saves; the open side panel follows; a new popup opens in it.
    await expect(options.getByRole('status')).toHaveText('已保存。');
    await expect(options.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(options.getByRole('combobox', { name: '语言' })).toHaveValue('zh-CN');
    await expect(panel.getByRole('heading', { name: '还没有视频' })).toBeVisible();
    await expect(panel.locator('html')).toHaveAttribute('lang', 'zh-CN');
    const popup = await openPage('popup');
    await expect(popup.getByRole('button', { name: '生成', exact: true })).toBeVisible();
    await popup.getByRole('button', { name: '生成', exact: true }).click();
    await expect(popup.getByRole('alert')).toHaveText('请先写提示词：描述你想要的视频。');
    await expect.poll(() => backgroundSays(popup)).toBe('请先写提示词：描述你想要的视频。');
    // The browser's own language did not change.
    expect(await browserLanguages(serviceWorker)).toContain('en-US');
    expect(await popup.evaluate(() => navigator.language)).toBe('en-US');

    await options.getByRole('combobox', { name: '语言' }).selectOption('auto');
    await options.getByRole('button', { name: '保存' }).click();
    await expect(options.getByRole('status')).toHaveText('Saved.');
    await expect(panel.getByRole('heading', { name: 'No videos yet' })).toBeVisible();
    await popup.reload();
    await expect(popup.getByRole('button', { name: 'Generate' })).toBeVisible();
    await expect.poll(() => backgroundSays(popup)).toBe('Write a prompt first: describe the video you want.');
  });
});
