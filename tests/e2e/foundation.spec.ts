import { expect, test } from './fixtures';
import { configureRelay, recordTurnUpdates } from './helpers';

const PROMPT = '生成一段高清的,牛马跳舞的视频';

test('generate from the popup, close it, and watch the job finish in the side panel', async ({ openPage, relay }) => {
  const options = await openPage('options');
  await configureRelay(options, relay);

  const panel = await openPage('sidepanel');
  await expect(panel.getByText(/No videos yet/)).toBeVisible();
  const seen = await recordTurnUpdates(panel);

  const popup = await openPage('popup');
  await popup.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
  await expect(popup.getByRole('combobox', { name: 'Model' })).toHaveValue('sora-2');
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('textbox', { name: 'Prompt' })).toHaveValue('');
  // Closing the page that started the job must not stop it.
  await popup.close();

  const thread = panel.getByRole('article', { name: PROMPT });
  await expect(thread).toBeVisible();
  await expect(thread.getByRole('progressbar')).toBeVisible();
  await expect(thread.getByText('Completed')).toBeVisible({ timeout: 20_000 });
  await expect(thread.getByRole('progressbar')).toHaveCount(0);

  const job = relay.jobs[0]!;
  const video = thread.locator('video');
  // The player is on the local copy the background saved (the relay's link stays as Open video).
  await expect(video).toHaveAttribute('src', /^blob:chrome-extension:\/\//);
  await expect(thread.getByRole('button', { name: 'Download' })).toBeVisible();
  await expect(thread.getByRole('link', { name: 'Open video' })).toHaveAttribute('href', `${relay.url}/files/${job.taskId}.mp4`);
  // The relay's mp4 really loads in the player.
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);

  const { statuses, progress } = await seen();
  // Every phase was shown, in order (a brief local "Waiting in line" may come first).
  expect(statuses.filter((s) => s !== 'Waiting in line')).toEqual(['Queued', 'Generating', 'Completed']);
  // The progress bar rose through the relay's steps and never went back.
  expect(progress.filter((p) => p > 0).length).toBeGreaterThanOrEqual(3);
  expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  expect(progress).toContain(81);

  const chats = relay.chatRequests();
  expect(chats).toHaveLength(1);
  const req = chats[0]!;
  expect(req.method).toBe('POST');
  expect(req.path).toBe('/v1/chat/completions');
  expect(req.headers.authorization).toBe(`Bearer ${relay.apiKey}`);
  expect(req.headers['content-type']).toBe('application/json');
  expect(Object.keys(req.body as object)).toEqual(['model', 'messages', 'stream']);
  expect(req.body).toEqual({ model: 'sora-2', messages: [{ role: 'user', content: PROMPT }], stream: true });
  // Media and task links were fetched without the key.
  expect(relay.authLeaks()).toEqual([]);
});

test('bad input gets a clear message and sends nothing', async ({ openPage, relay }) => {
  const popup = await openPage('popup');
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('a cat');
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('alert')).toContainText('No relay configured');

  const options = await openPage('options');
  const base = options.getByRole('textbox', { name: 'API base URL' });
  await base.fill('relay.example.com');
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByText('That is not a valid URL')).toBeVisible();
  await expect(options.getByRole('status')).toContainText('Nothing was saved');
  await base.fill('ftp://relay.example.com');
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByText('must start with https:// or http://')).toBeVisible();

  // A valid URL but no key: saved, yet the popup refuses to generate.
  await base.fill(relay.url);
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByRole('status')).toHaveText('Saved.');
  await options.reload();
  await expect(options.getByRole('textbox', { name: 'API base URL' })).toHaveValue(relay.url);

  await popup.reload();
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('a cat');
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('alert')).toContainText('No API key configured');
  await expect(popup.getByRole('button', { name: 'Open Options' })).toBeVisible();

  await configureRelay(options, relay);
  await popup.reload();
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('   ');
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('alert')).toContainText('Write a prompt first');

  expect(relay.chatRequests()).toHaveLength(0);
  const panel = await openPage('sidepanel');
  await expect(panel.getByText(/No videos yet/)).toBeVisible();
});
