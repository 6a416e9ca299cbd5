import type { Worker } from '@playwright/test';
import { expect, test } from './fixtures';
import { configureRelay } from './helpers';
import type { ChatBody } from '../relay/index';

const CONTEXT_MENU_ID = 'sora-threads-generate-selection';

/** Settings written the way Options saves them, for tests that are not about Options. */
async function saveSettings(sw: Worker, patch: Record<string, unknown>) {
  await sw.evaluate(async (p) => {
    const local = (globalThis as unknown as { chrome: { storage: { local: StorageArea } } }).chrome.storage.local;
    const cur = ((await local.get('settings')).settings ?? {}) as Record<string, unknown>;
    await local.set({ settings: { ...cur, ...p } });
  }, patch);
}

interface StorageArea {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}
type Message = { role: string; content: string };
const messagesOf = (body: unknown) => (body as { messages: Message[] }).messages;

test('a 3-turn thread sends the whole history each time and the relay remixes the previous sid', async ({ openPage, relay }) => {
  const prompts = ['a cow and a horse dancing', 'put a halo over the cow', 'the horse walks on clouds'];
  let problem = '';
  relay.onChatRequest = (body: ChatBody) => {
    // Turn k (0-based) must carry every earlier prompt and the relay's own earlier answers.
    const k = relay.jobs.length;
    const m = messagesOf(body);
    const expectedRoles = Array.from({ length: 2 * k + 1 }, (_, i) => (i % 2 ? 'assistant' : 'user'));
    if (JSON.stringify(m.map((x) => x.role)) !== JSON.stringify(expectedRoles))
      return (problem = `roles ${m.map((x) => x.role).join(',')}`);
    for (let i = 0; i <= k; i++) if (m[2 * i]!.content !== prompts[i]) return (problem = `prompt ${i}: ${m[2 * i]!.content}`);
    for (let i = 0; i < k; i++) {
      const job = relay.jobs[i]!;
      const a = m[2 * i + 1]!.content;
      if (!a.includes(`sid: ${job.sid}`) || !a.includes(job.taskId) || !a.includes(job.links.video))
        return (problem = `assistant ${i} is not the relay's answer verbatim`);
    }
    return undefined;
  };

  const options = await openPage('options');
  await configureRelay(options, relay);
  const popup = await openPage('popup');
  await popup.getByRole('textbox', { name: 'Prompt' }).fill(prompts[0]!);
  await popup.getByRole('button', { name: 'Generate' }).click();
  await popup.close();

  const panel = await openPage('sidepanel');
  const thread = panel.getByRole('article', { name: prompts[0] });
  for (let k = 1; k < prompts.length; k++) {
    await expect(thread.locator('video')).toHaveCount(k, { timeout: 20_000 });
    const box = thread.getByRole('textbox', { name: 'Modify this video' });
    await box.fill(prompts[k]!);
    await thread.getByRole('button', { name: 'Send' }).click();
    await expect(box).toHaveCount(0); // hidden while the new version runs
  }
  await expect(thread.locator('video')).toHaveCount(3, { timeout: 20_000 });
  expect(problem).toBe('');

  // Each version is its own video, and each remix named the previous one's sid.
  expect(relay.jobs).toHaveLength(3);
  expect(relay.jobs[1]!.echoSid).toBe(relay.jobs[0]!.sid);
  expect(relay.jobs[2]!.echoSid).toBe(relay.jobs[1]!.sid);
  const links = await thread.getByRole('link', { name: 'Open video' }).evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(links).toEqual(relay.jobs.map((j) => j.links.video));
  // The whole history went along: 1, 3 and 5 messages.
  expect(relay.chatRequests().map((r) => messagesOf(r.body).length)).toEqual([1, 3, 5]);
});

test("modifying from an earlier version starts a new thread that sends only that version's history", async ({ openPage, relay }) => {
  const options = await openPage('options');
  await configureRelay(options, relay);
  const popup = await openPage('popup');
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('a cat on a windowsill');
  await popup.getByRole('button', { name: 'Generate' }).click();
  await popup.close();

  const panel = await openPage('sidepanel');
  const thread = panel.getByRole('article', { name: 'a cat on a windowsill', exact: true });
  await expect(thread.locator('video')).toHaveCount(1, { timeout: 20_000 });
  await thread.getByRole('textbox', { name: 'Modify this video' }).fill('the cat yawns');
  await thread.getByRole('button', { name: 'Send' }).click();
  await expect(thread.locator('video')).toHaveCount(2, { timeout: 20_000 });

  const v1 = thread.getByRole('listitem', { name: 'Version 1' });
  await v1.getByRole('button', { name: 'Modify from here' }).click();
  await thread.getByRole('textbox', { name: 'Modify from version 1' }).fill('the cat jumps down');
  await thread.getByRole('button', { name: 'Start new thread' }).click();
  const branch = panel.getByRole('article', { name: 'a cat on a windowsill · from v1' });
  await expect(branch.locator('video')).toHaveCount(2, { timeout: 20_000 });

  const sent = relay.chatRequests().map((r) => messagesOf(r.body));
  expect(sent).toHaveLength(3);
  const [first, second, third] = relay.jobs;
  // The branch carries version 1's exchange only — not "the cat yawns" or its answer.
  expect(sent[2]!.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  expect(sent[2]![0]!.content).toBe('a cat on a windowsill');
  expect(sent[2]![1]!.content).toContain(`sid: ${first!.sid}`);
  expect(sent[2]![2]!.content).toBe('the cat jumps down');
  expect(JSON.stringify(sent[2])).not.toContain('the cat yawns');
  expect(third!.echoSid).toBe(first!.sid);
  expect(second!.echoSid).toBe(first!.sid);
  // The original thread is untouched: still its two versions.
  await expect(thread.locator('video')).toHaveCount(2);
});

test("Retry on an older failed version starts a new thread from that version's own base; the newest video is not remixed", async ({
  openPage,
  relay,
}) => {
  const options = await openPage('options');
  await configureRelay(options, relay);
  const panel = await openPage('sidepanel');
  relay.enqueue('seed', { name: 'http-error', status: 500 }, 'seed');
  await panel.evaluate(() =>
    (globalThis as unknown as { chrome: { runtime: { sendMessage(m: object): Promise<unknown> } } }).chrome.runtime.sendMessage({
      type: 'generate',
      prompt: 'a boat at sea',
      origin: 'sidepanel',
    }),
  );
  const thread = panel.getByRole('article', { name: 'a boat at sea', exact: true });
  await expect(thread.locator('video')).toHaveCount(1, { timeout: 20_000 });
  for (const prompt of ['add a storm', 'make it sunset']) {
    await thread.getByRole('textbox', { name: 'Modify this video' }).fill(prompt);
    await thread.getByRole('button', { name: 'Send' }).click();
    await expect(thread.getByRole('textbox', { name: 'Modify this video' })).toBeVisible({ timeout: 20_000 });
  }
  await expect(thread.locator('video')).toHaveCount(2);
  const v2 = thread.getByRole('listitem', { name: 'Version 2' });
  await expect(v2.getByText('Failed', { exact: true })).toBeVisible();
  // A plain Retry would append to this thread and remix v3: it is not offered here.
  await expect(v2.getByRole('button', { name: 'Retry', exact: true })).toHaveCount(0);
  await expect(v2).toContainText('starts a new thread from the versions before this one, billed again');
  await v2.getByRole('button', { name: 'Retry in a new thread' }).click();

  const fork = panel.getByRole('article', { name: 'a boat at sea · retry of v2', exact: true });
  await expect(fork.locator('video')).toHaveCount(2, { timeout: 20_000 });
  const sent = relay.chatRequests().map((r) => messagesOf(r.body));
  expect(sent).toHaveLength(4);
  expect(sent[3]!.map((m) => m.content.slice(0, 20))).toEqual(['a boat at sea', sent[1]![1]!.content.slice(0, 20), 'add a storm']);
  expect(JSON.stringify(sent[3])).not.toContain('make it sunset');
  expect(relay.jobs.map((j) => j.prompt)).toEqual(['a boat at sea', 'make it sunset', 'add a storm']); // the failed request made no job
  expect(relay.jobs[2]!.echoSid).toBe(relay.jobs[0]!.sid);
  // The original keeps its three versions.
  await expect(thread.getByRole('listitem')).toHaveCount(3);
});

test('with a limit of 2, five prompts never open more than 2 requests and all complete', async ({ openPage, relay, serviceWorker }) => {
  relay.setScenario({ name: 'compact', delayMs: 60 });
  const options = await openPage('options');
  await configureRelay(options, relay);
  await saveSettings(serviceWorker, { concurrency: 2 });

  const popup = await openPage('popup');
  for (let i = 1; i <= 5; i++) {
    await popup.getByRole('textbox', { name: 'Prompt' }).fill(`queued video ${i}`);
    await popup.getByRole('button', { name: 'Generate' }).click();
    await expect(popup.getByRole('textbox', { name: 'Prompt' })).toHaveValue('');
  }
  await popup.close();

  const panel = await openPage('sidepanel');
  // Extra jobs wait locally, in line.
  await expect(panel.getByText(/Waiting in line/).first()).toBeVisible();
  await expect(panel.locator('video')).toHaveCount(5, { timeout: 40_000 });
  expect(relay.maxOpenStreams).toBe(2);
  expect(relay.chatRequests().map((r) => messagesOf(r.body)[0]!.content)).toEqual([1, 2, 3, 4, 5].map((i) => `queued video ${i}`));
});

test('the context menu starts a thread from the selected text, and refuses an empty one', async ({ openPage, relay, serviceWorker }) => {
  const options = await openPage('options');
  await configureRelay(options, relay);
  const panel = await openPage('sidepanel');

  const click = (selectionText: string) =>
    serviceWorker.evaluate(
      ([id, text]) =>
        (
          globalThis as unknown as { soraThreads: { contextMenuClick(i: object): Promise<string | undefined> } }
        ).soraThreads.contextMenuClick({
          menuItemId: id,
          selectionText: text,
        }),
      [CONTEXT_MENU_ID, selectionText] as const,
    );

  expect(await click('   \n  ')).toBeUndefined();
  expect(relay.chatRequests()).toHaveLength(0);

  const threadId = await click('  A red fox\n running through fresh snow  ');
  expect(threadId).toMatch(/^thr_/);
  const thread = panel.getByRole('article', { name: 'A red fox running through fresh snow' });
  await expect(thread.locator('video')).toHaveCount(1, { timeout: 20_000 });
  expect(messagesOf(relay.chatRequests()[0]!.body)).toEqual([{ role: 'user', content: 'A red fox running through fresh snow' }]);
  const stored = await serviceWorker.evaluate(async (id) => {
    const local = (globalThis as unknown as { chrome: { storage: { local: StorageArea } } }).chrome.storage.local;
    return (await local.get(`thread:${id}`))[`thread:${id}`];
  }, threadId!);
  expect(stored).toMatchObject({ origin: 'context-menu', title: 'A red fox running through fresh snow' });
});
