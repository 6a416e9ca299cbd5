import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { configureRelay, expectPlayer } from './helpers';
import { alarm, wakeByAlarm, wakeByMessage, workerControl } from './worker-control';
import type { Relay, ScenarioSpec } from '../relay/index';
import type { Thread, Turn } from '../../utils/threads/model';
import { indexEntryOf } from '../../utils/threads/records';

/*
 * Fault injection in real Chromium: the service worker stopped mid-job, the connection dropped,
 * a silent relay, HTTP errors, broken and hostile answers. Whatever happens, no job is lost, the
 * user sees why it stopped, and no prompt is ever sent twice.
 */

// Extension pages see `chrome`; the test code only needs these few calls.
interface ChromeApi {
  runtime: { sendMessage(msg: unknown): Promise<unknown> };
  storage: {
    local: { get(keys: string | string[] | null): Promise<Record<string, unknown>>; set(items: Record<string, unknown>): Promise<void> };
  };
  alarms: {
    get(name: string): Promise<{ name: string; periodInMinutes?: number } | undefined>;
    create(name: string, info: { delayInMinutes?: number; when?: number }): Promise<void>;
  };
}
/** Inside page.evaluate only types can be shared: `(globalThis as unknown as G).chrome`. */
type G = { chrome: ChromeApi };

type Reply<T> = { ok: true; value: T } | { ok: false; error: string };

/** Options saved through the UI, then (for the stall tests) a stall timeout shorter than the form allows. */
async function setUp(openPage: (n: 'options' | 'sidepanel') => Promise<Page>, relay: Relay, patch?: Record<string, unknown>) {
  const options = await openPage('options');
  await configureRelay(options, relay);
  if (patch) {
    await options.evaluate(async (p) => {
      const c = (globalThis as unknown as G).chrome;
      const { settings } = await c.storage.local.get('settings');
      await c.storage.local.set({ settings: { ...(settings as object), ...p } });
    }, patch);
  }
  await options.close();
  return openPage('sidepanel');
}

/** Starts a generation the way the popup does (a message to the background). */
async function generate(page: Page, prompt: string): Promise<{ threadId: string; turnId: string }> {
  const reply = (await page.evaluate(
    (p) => (globalThis as unknown as G).chrome.runtime.sendMessage({ type: 'generate', prompt: p, origin: 'popup' }),
    prompt,
  )) as Reply<{ threadId: string; turnId: string }>;
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}

type SeenTurn = Turn & { contentLength: number };

/**
 * The stored thread, read straight from storage (pages may read it without waking the worker).
 * Contents are cut to their first 64 KB on the way out: a 5 MB answer polled every 50 ms would
 * otherwise be the slowest thing in the test.
 */
async function storedThread(page: Page, threadId: string): Promise<(Thread & { turns: SeenTurn[] }) | undefined> {
  return page.evaluate(async (id) => {
    const t = (await (globalThis as unknown as G).chrome.storage.local.get(`thread:${id}`))[`thread:${id}`] as Thread | undefined;
    return t && { ...t, turns: t.turns.map((x) => ({ ...x, content: x.content.slice(0, 65536), contentLength: x.content.length })) };
  }, threadId);
}

async function lastTurn(page: Page, threadId: string): Promise<SeenTurn | undefined> {
  const t = await storedThread(page, threadId);
  return t?.turns[t.turns.length - 1];
}

async function waitForTurn(page: Page, threadId: string, ok: (t: SeenTurn) => boolean, timeout = 20_000): Promise<SeenTurn> {
  let turn: SeenTurn | undefined;
  const summary = () =>
    turn && {
      status: turn.status,
      progress: turn.progress,
      taskId: turn.taskId,
      error: turn.error,
      resume: turn.resume,
      content: turn.content.slice(-200),
    };
  try {
    await expect
      .poll(
        async () => {
          turn = await lastTurn(page, threadId);
          return !!turn && ok(turn);
        },
        { timeout, intervals: [25, 50, 100] },
      )
      .toBe(true);
  } catch (err) {
    throw new Error(`The turn never got there. Last seen: ${JSON.stringify(summary())}\n${String(err)}`, { cause: err });
  }
  return turn!;
}

const finished = (t: Turn) => !['pending', 'queued', 'generating'].includes(t.status);

/**
 * Records, in the side panel, every "following the task source" note it shows (one may last a
 * second only): what the user reads, in the panel's language.
 */
async function recordResumes(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (globalThis as unknown as { __resumes: string[] }).__resumes = seen;
    const look = () => {
      for (const note of document.querySelectorAll('.turn__note')) {
        const text = note.textContent;
        if (text && !seen.includes(text)) seen.push(text);
      }
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (globalThis as unknown as { __resumes: string[] }).__resumes);
}

// Every test: nothing but the API requests carried the key (acceptance 10 runs in all of them).
test.afterEach(({ relay }) => {
  expect(relay.authLeaks()).toEqual([]);
});

test('1. the worker is stopped mid-stream 20 times: every job resumes from its task source or is kept as interrupted; 0 lost, 0 re-sent', async ({
  context,
  openPage,
  relay,
  extensionId,
}) => {
  test.setTimeout(150_000);
  const panel = await setUp(openPage, relay);
  const worker = await workerControl(context, panel, extensionId);
  const seenResumes = await recordResumes(panel);
  const RUNS = 20;
  const jobs: { threadId: string; withSource: boolean; atProgress: boolean }[] = [];
  let alarmWakes = 0;

  for (let i = 0; i < RUNS; i++) {
    // Every fourth job has no task source link; stop points alternate between the queue and mid-progress.
    const withSource = i % 4 !== 3;
    const atProgress = i % 2 === 1;
    // The relay's stream goes quiet after progress 44 (its job runs on to the end on the relay's
    // clock), so the stop always lands on an open stream however slow this machine is.
    const spec: ScenarioSpec = { name: 'stall', slow: 0.5, noSource: !withSource };
    relay.enqueue(spec);
    const { threadId } = await generate(panel, `restart ${i + 1}`);
    jobs.push({ threadId, withSource, atProgress });

    // Wait until the report's task id (and source link) is stored, or until progress is under way.
    try {
      await waitForTurn(panel, threadId, (t) => !!t.taskId && (!atProgress || (t.progress ?? 0) > 0), 10_000);
    } catch (err) {
      const job = relay.jobs[i];
      const sw = context.serviceWorkers()[0];
      const alive = sw
        ? await Promise.race([sw.evaluate(() => 'alive'), new Promise<string>((r) => setTimeout(() => r('no answer'), 2000))]).catch(
            (e: unknown) => String(e),
          )
        : 'none';
      throw new Error(
        `job ${i + 1}: worker ${worker.status()} (${alive}), relay open streams ${relay.openStreams}, job age ${job ? Date.now() - job.startedAt : '?'} ms\n${String(err)}`,
        { cause: err },
      );
    }
    // While a job runs the extension holds a repeating alarm that would wake a stopped worker.
    if (i === 0) await expect.poll(() => alarm(panel)).toMatchObject({ periodInMinutes: 0.5 });
    await worker.stop();
    const cut = await lastTurn(panel, threadId);
    expect(cut?.status, `job ${i + 1} was cut while still running`).toMatch(/queued|generating/);

    // Chrome starts the worker again on the next event: a page's message, or the recovery alarm.
    if (i % 5 === 2) {
      alarmWakes++;
      await wakeByAlarm(panel);
    } else {
      await wakeByMessage(panel);
    }
    await worker.waitRunning();

    const turn = await waitForTurn(panel, threadId, finished, 20_000);
    const job = relay.jobs[i]!;
    if (withSource) {
      expect(turn, `job ${i + 1}`).toMatchObject({ status: 'completed', taskId: job.taskId, videoUrl: job.links.video, progress: 100 });
      expect(turn.resume).toBeUndefined();
    } else {
      expect(turn, `job ${i + 1}`).toMatchObject({ status: 'interrupted', taskId: job.taskId, error: { kind: 'interrupted' } });
      expect(turn.error?.message).toContain(job.taskId);
      // The text received before the stop is kept verbatim.
      expect(turn.content).toContain(`\`${job.taskId}\``);
      expect(turn.content).toContain('```json');
    }
  }

  // 0 jobs lost: every job is in storage, finished, and accounted for; none was sent twice.
  const threads = await Promise.all(jobs.map((j) => storedThread(panel, j.threadId)));
  expect(threads.every((t) => t && t.turns.length === 1)).toBe(true);
  const outcomes = threads.map((t) => t!.turns[0]!.status);
  expect(outcomes.filter((s) => s === 'completed')).toHaveLength(jobs.filter((j) => j.withSource).length);
  expect(outcomes.filter((s) => s === 'interrupted')).toHaveLength(jobs.filter((j) => !j.withSource).length);
  expect(relay.chatRequests()).toHaveLength(RUNS);
  expect(new Set(threads.map((t) => t!.turns[0]!.taskId)).size).toBe(RUNS);
  expect(alarmWakes).toBeGreaterThan(0);
  // Resumed jobs were followed on their task source (without the key: see afterEach).
  const sourcePolls = relay.requests.filter((r) => r.kind === 'task' && r.path.endsWith('.json'));
  expect(sourcePolls.length).toBeGreaterThanOrEqual(jobs.filter((j) => j.withSource).length);
  expect((await seenResumes()).some((r) => r.startsWith('The browser restarted the extension'))).toBe(true);
  // Nothing left to do: no alarm keeps waking the worker.
  await expect.poll(() => alarm(panel)).toBeNull();

  // The side panel shows them in words (newest first).
  await expect(panel.getByRole('article', { name: 'restart 20', exact: true }).getByText('Interrupted', { exact: true })).toBeVisible();
  await expect(panel.getByRole('article', { name: 'restart 19', exact: true }).getByText('Completed', { exact: true })).toBeVisible();
});

/** Starts jobs one after another, each once the relay has taken the previous request, so scenario i answers job i. */
async function generateInOrder(page: Page, relay: Relay, prompts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const prompt of prompts) {
    const before = relay.chatRequests().length;
    ids.push((await generate(page, prompt)).threadId);
    await expect.poll(() => relay.chatRequests().length, { intervals: [10, 25, 50] }).toBe(before + 1);
  }
  return ids;
}

const article = (page: Page, title: string) => page.getByRole('article', { name: title, exact: true });

test('2. the relay drops the connection mid-stream: resumed from the task source, or failed as a lost connection', async ({
  openPage,
  relay,
}) => {
  const panel = await setUp(openPage, relay);
  const resumes = await recordResumes(panel);
  relay.enqueue({ name: 'drop', slow: 0.5 }, { name: 'drop', slow: 0.5, noSource: true });
  const [withSource, without] = await generateInOrder(panel, relay, ['drop with source', 'drop without source']);

  const resumed = await waitForTurn(panel, withSource!, finished);
  expect(resumed).toMatchObject({ status: 'completed', videoUrl: relay.jobs[0]!.links.video, progress: 100 });
  expect(await resumes()).toContainEqual(expect.stringMatching(/^The connection to the relay dropped\. Following the job/));
  await expect(article(panel, 'drop with source').getByText('Completed', { exact: true })).toBeVisible();
  await expectPlayer(article(panel, 'drop with source'), relay.jobs[0]!.links.video);

  const failed = await waitForTurn(panel, without!, finished);
  expect(failed).toMatchObject({ status: 'failed', error: { kind: 'network' }, taskId: relay.jobs[1]!.taskId });
  const box = article(panel, 'drop without source');
  await expect(box.getByText('Failed', { exact: true })).toBeVisible();
  await expect(box).toContainText('Connection lost');
  await expect(box).toContainText('Connection lost: ');
  await expect(box).toContainText(`The job (task ${relay.jobs[1]!.taskId}) may still finish on the relay`);
  await expect(box.getByRole('button', { name: 'Retry' })).toBeVisible();
  // The content received before the drop is kept.
  expect(failed.content).toContain(relay.jobs[1]!.taskId);
  expect(relay.chatRequests()).toHaveLength(2);
});

test('3 + 8. a silent stall past the stall timeout, and a relay that accepts and never answers', async ({ openPage, relay }) => {
  // 0.05 min = 3 s: the form allows ≥ 1 min, the runner takes whatever is stored.
  const panel = await setUp(openPage, relay, { stallTimeoutMin: 0.05 });
  const resumes = await recordResumes(panel);
  relay.enqueue({ name: 'stall', slow: 0.3 }, { name: 'stall', slow: 0.3, noSource: true }, { name: 'never' });
  const [stallSource, stallBare, never] = await generateInOrder(panel, relay, [
    'stall with source',
    'stall without source',
    'never answers',
  ]);

  expect(await waitForTurn(panel, stallSource!, finished)).toMatchObject({ status: 'completed', videoUrl: relay.jobs[0]!.links.video });
  expect(await resumes()).toContainEqual(
    expect.stringMatching(/^The relay stopped sending data, so the stream was stopped\. Following the job/),
  );
  await expect(article(panel, 'stall with source').getByText('Completed', { exact: true })).toBeVisible();

  expect(await waitForTurn(panel, stallBare!, finished)).toMatchObject({ status: 'failed', error: { kind: 'timeout' } });
  const bare = article(panel, 'stall without source');
  await expect(bare).toContainText('The relay stopped answering');
  await expect(bare).toContainText('The relay sent nothing for 3 s, so the stream was stopped');
  await expect(bare).toContainText('raise the stall timeout');

  expect(await waitForTurn(panel, never!, finished)).toMatchObject({ status: 'failed', error: { kind: 'timeout' } });
  await expect(article(panel, 'never answers')).toContainText('The relay accepted the request but sent no answer for 3 s');
  await expect(article(panel, 'never answers').getByRole('button', { name: 'Retry' })).toBeVisible();
  // The relay saw the never-answered request closed by the client, not left hanging.
  await expect.poll(() => relay.openStreams).toBe(0);
  expect(relay.chatRequests()).toHaveLength(3);
});

test('3b. the answer ends with its finish_reason but the relay never sends [DONE] and keeps the socket open: completed, not left to stall', async ({
  openPage,
  relay,
}) => {
  // The default 10 min stall timeout: without the finish grace this turn would hang for minutes.
  const panel = await setUp(openPage, relay);
  relay.enqueue({ name: 'open-after-stop', slow: 0.3, noSource: true });
  const { threadId } = await generate(panel, 'open after stop');
  expect(await waitForTurn(panel, threadId, finished, 20_000)).toMatchObject({
    status: 'completed',
    videoUrl: relay.jobs[0]!.links.video,
    progress: 100,
  });
  const box = article(panel, 'open after stop');
  await expect(box.getByText('Completed', { exact: true })).toBeVisible();
  await expectPlayer(box, relay.jobs[0]!.links.video);
  // The client closed the socket the relay held open.
  await expect.poll(() => relay.openStreams).toBe(0);
  expect(relay.chatRequests()).toHaveLength(1);
});

test("4. HTTP 400/401/403/404/429/500, with JSON and with plain-text bodies: the reason, the relay's words, what to do", async ({
  openPage,
  relay,
}) => {
  const panel = await setUp(openPage, relay);
  const cases: { status: number; title: string; server: string; advice: string; retryAfter?: number }[] = [
    {
      status: 400,
      title: 'The relay rejected the request',
      server: 'Your request was rejected as a result of our safety system.',
      advice: 'Change the prompt',
    },
    { status: 401, title: 'The relay refused the API key', server: 'Incorrect API key provided.', advice: 'Check the API key in Options.' },
    { status: 403, title: 'No balance or quota left', server: 'You exceeded your current quota', advice: 'Top up your relay account' },
    {
      status: 404,
      title: 'Model or endpoint not found',
      server: 'The model does not exist',
      advice: 'Check the model name and the API base URL',
    },
    { status: 429, title: 'Too many requests', server: 'Rate limit reached for requests.', advice: 'Wait 7 s, then retry.', retryAfter: 7 },
    {
      status: 500,
      title: 'The relay had an error',
      server: 'The server had an error while processing your request.',
      advice: 'Retry later',
    },
  ];
  const all = cases.flatMap((c) => (['json', 'text'] as const).map((body) => ({ ...c, body, prompt: `http ${c.status} ${body}` })));
  for (const c of all) {
    relay.enqueue({ name: 'http-error', status: c.status, body: c.body, ...(c.retryAfter && { retryAfter: c.retryAfter }) });
    const { threadId } = await generate(panel, c.prompt);
    expect(await waitForTurn(panel, threadId, finished), c.prompt).toMatchObject({ status: 'failed', error: { status: c.status } });
  }
  for (const c of all) {
    const box = article(panel, c.prompt);
    await expect(box.getByText('Failed', { exact: true }), c.prompt).toBeVisible();
    await expect(box, c.prompt).toContainText(c.title);
    // Said once: the relay's status and words follow the title, not a sentence repeating it.
    await expect(box.getByText(c.title), c.prompt).toHaveCount(1);
    await expect(box, c.prompt).toContainText(`HTTP ${c.status} · The relay said: ${c.server}`);
    await expect(box, c.prompt).toContainText(c.advice);
    await expect(box.getByRole('button', { name: 'Retry' }), c.prompt).toBeVisible();
  }
  // Nothing was retried behind the user's back.
  await panel.waitForTimeout(300);
  expect(relay.chatRequests()).toHaveLength(all.length);
});

test('5 + 6 + 7. an error object mid-stream, malformed chunks between good ones, a 1.5 MB answer, and one past the 2 MB cap', async ({
  openPage,
  relay,
}) => {
  test.setTimeout(90_000);
  const panel = await setUp(openPage, relay);
  relay.enqueue(
    { name: 'stream-error', slow: 0.3 },
    { name: 'malformed', slow: 0.3 },
    { name: 'big', slow: 0.3, sizeBytes: 1_500_000 },
    { name: 'big', slow: 0.3, sizeBytes: 3_000_000 },
  );
  const [streamError, malformed, big, huge] = await generateInOrder(panel, relay, [
    'error mid-stream',
    'malformed chunks',
    'one and a half megabytes',
    'three megabytes',
  ]);

  const failed = await waitForTurn(panel, streamError!, finished);
  expect(failed).toMatchObject({
    status: 'failed',
    error: { kind: 'server', serverMessage: 'upstream service error: generation aborted' },
  });
  // What came before the error is kept.
  expect(failed.content).toContain(relay.jobs[0]!.taskId);
  await expect(article(panel, 'error mid-stream')).toContainText('The relay had an error');
  await expect(article(panel, 'error mid-stream')).toContainText('upstream service error: generation aborted');

  expect(await waitForTurn(panel, malformed!, finished)).toMatchObject({
    status: 'completed',
    videoUrl: relay.jobs[1]!.links.video,
    sid: relay.jobs[1]!.sid,
  });
  await expect(article(panel, 'malformed chunks').getByText('Completed', { exact: true })).toBeVisible();

  const large = await waitForTurn(panel, big!, finished, 60_000);
  expect(large).toMatchObject({ status: 'completed', videoUrl: relay.jobs[2]!.links.video, sid: relay.jobs[2]!.sid });
  expect(large.contentLength).toBeGreaterThan(1_450_000);
  await expect(article(panel, 'one and a half megabytes').getByText('Completed', { exact: true })).toBeVisible();
  await expectPlayer(article(panel, 'one and a half megabytes'), relay.jobs[2]!.links.video);

  // Past the cap the stream is stopped: a failure that says why, what came before kept.
  const capped = await waitForTurn(panel, huge!, finished, 60_000);
  expect(capped).toMatchObject({ status: 'failed', error: { kind: 'protocol' }, taskId: relay.jobs[3]!.taskId });
  expect(capped.contentLength).toBeGreaterThan(2_000_000);
  expect(capped.contentLength).toBeLessThan(2_300_000);
  await expect(article(panel, 'three megabytes')).toContainText('The relay’s answer passed 2 MB without finishing, so it was stopped');
  await expect.poll(() => relay.openStreams).toBe(0);
  expect(relay.chatRequests()).toHaveLength(4);
});

test('9. a javascript: link and HTML-looking server text: never a link, never markup', async ({ openPage, relay }) => {
  const panel = await setUp(openPage, relay);
  const dialogs: string[] = [];
  panel.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const html = '<img src=x onerror=alert(1)><b>bold</b>';
  relay.enqueue(
    { name: 'html-inject', slow: 0.3 },
    { name: 'html-inject', slow: 0.3, noSource: true },
    { name: 'fail-reason', slow: 0.3, reason: `upstream said ${html}` },
    { name: 'http-error', status: 400, body: 'json', message: `<script>alert(3)</script> ${html}` },
  );
  const [injected, injectedBare, reason, httpError] = await generateInOrder(panel, relay, [
    'inject with source',
    'inject without source',
    'html reason',
    'html error',
  ]);

  // Its video link is javascript:, so the answer has no usable one: the task source has the real file.
  expect(await waitForTurn(panel, injected!, finished)).toMatchObject({ status: 'completed', videoUrl: relay.jobs[0]!.links.video });
  const bare = await waitForTurn(panel, injectedBare!, finished);
  expect(bare).toMatchObject({ status: 'failed', error: { kind: 'protocol' } });
  expect(bare.videoUrl).toBeUndefined();
  expect(await waitForTurn(panel, reason!, finished)).toMatchObject({ status: 'failed', error: { kind: 'generation' } });
  expect(await waitForTurn(panel, httpError!, finished)).toMatchObject({ status: 'failed', error: { kind: 'bad-request' } });

  // The answer shown raw is literal text.
  for (const title of ['inject with source', 'inject without source']) {
    const box = article(panel, title);
    await box.getByRole('button', { name: 'Show raw answer' }).click();
    await expect(box.locator('pre')).toContainText('<img src=x onerror=alert(1)><script>alert(2)</script>');
    await expect(box.locator('pre')).toContainText('[视频文件](javascript:alert(1))');
  }
  await expect(article(panel, 'html reason')).toContainText(`upstream said ${html}`);
  await expect(article(panel, 'html error')).toContainText(`<script>alert(3)</script> ${html}`);

  // Nothing was parsed as markup, and no javascript: URL made it into any attribute.
  const dom = await panel.evaluate(() => ({
    jsUrls: [...document.querySelectorAll('*')].flatMap((el) =>
      [...el.attributes].filter((a) => /^\s*javascript:/i.test(a.value)).map((a) => `${el.tagName} ${a.name}=${a.value}`),
    ),
    injectedImgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
    bolds: document.querySelectorAll('main b').length,
    scripts: [...document.querySelectorAll('script')].map((s) => s.src || 'inline'),
    links: [...document.querySelectorAll('a[href]')].map((a) => (a as HTMLAnchorElement).protocol),
  }));
  expect(dom.jsUrls).toEqual([]);
  expect(dom.injectedImgs).toBe(0);
  expect(dom.bolds).toBe(0);
  expect(dom.scripts.every((s) => s.startsWith('chrome-extension://'))).toBe(true);
  expect(dom.links.every((p) => p === 'http:' || p === 'https:' || p === 'chrome-extension:')).toBe(true);
  await panel.waitForTimeout(200);
  expect(dialogs).toEqual([]);
});

test('11. a relay that echoes the API key in its failure: neither the card nor its raw answer shows the key', async ({
  openPage,
  relay,
}) => {
  const panel = await setUp(openPage, relay);
  relay.enqueue(
    { name: 'fail-reason', slow: 0.3, reason: `the key ${relay.apiKey} has no balance left` },
    { name: 'http-error', status: 401, body: 'json', message: `Incorrect API key provided: ${relay.apiKey}` },
  );
  const [reason, refused] = await generateInOrder(panel, relay, ['echoed in the answer', 'echoed in the error']);
  for (const id of [reason!, refused!]) {
    const turn = await waitForTurn(panel, id, finished);
    expect(turn.status).toBe('failed');
    expect(JSON.stringify(turn)).not.toContain(relay.apiKey);
  }
  const box = article(panel, 'echoed in the answer');
  await expect(box).toContainText('the key *** has no balance left');
  await box.getByRole('button', { name: 'Show raw answer' }).click();
  await expect(box.locator('pre')).toContainText('the key *** has no balance left');
  await expect(article(panel, 'echoed in the error')).toContainText('Incorrect API key provided: ***');
  expect(await panel.locator('body').innerText()).not.toContain(relay.apiKey);
});

test('10. requests to the video, preview, task page and task source hosts carry no Authorization header', async ({
  context,
  openPage,
  relay,
}) => {
  const panel = await setUp(openPage, relay);
  // One job completes from its stream, one from its task source after a drop.
  relay.enqueue({ name: 'seed', slow: 0.3 }, { name: 'drop', slow: 0.3 });
  const [streamed, followed] = await generateInOrder(panel, relay, ['auth streamed', 'auth followed']);
  await waitForTurn(panel, streamed!, (t) => t.status === 'completed');
  await waitForTurn(panel, followed!, (t) => t.status === 'completed');

  const box = article(panel, 'auth streamed');
  const video = box.locator('video');
  await video.scrollIntoViewIfNeeded();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
  const download = context.waitForEvent('page', { timeout: 1_000 }).catch(() => undefined);
  await box.getByRole('button', { name: 'Download' }).click();
  await download;
  const taskTab = context.waitForEvent('page');
  await box.getByRole('link', { name: 'Open task page' }).click();
  await (await taskTab).waitForLoadState();

  const job = relay.jobs[0]!;
  const paths = (kind: string) => relay.requests.filter((r) => r.kind === kind).map((r) => r.path);
  await expect.poll(() => paths('media')).toContain(`/files/${job.taskId}.mp4`);
  await expect.poll(() => paths('media')).toContain(`/files/${job.taskId}.webp`);
  expect(paths('task')).toContain(`/tasks/${job.taskId}`);
  expect(paths('task')).toContain(`/tasks/${relay.jobs[1]!.taskId}.json`);
  // Every request outside the API: no key, no cookies.
  const outside = relay.requests.filter((r) => r.kind !== 'chat' && r.kind !== 'models');
  expect(outside.length).toBeGreaterThanOrEqual(4);
  expect(outside.filter((r) => r.headers.authorization !== undefined || r.headers.cookie !== undefined)).toEqual([]);
  expect(relay.authLeaks()).toEqual([]);
  // While the API requests did carry it.
  expect(relay.chatRequests().every((r) => r.headers.authorization === `Bearer ${relay.apiKey}`)).toBe(true);
});

/**
 * A task source on a host of its own, answering every poll with `body` (a job still running). With
 * `cors: false` it sends no CORS header, as most hosts do: the extension can read it only with a
 * host permission for it.
 */
async function taskSourceHost(host: string, cors: boolean, body: () => unknown) {
  const polls: string[] = [];
  const server = createServer((req, res) => {
    polls.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json', ...(cors && { 'Access-Control-Allow-Origin': '*' }) });
    res.end(JSON.stringify(body()));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return { url, polls, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Threads whose request was in flight when the worker stopped, each with a task source link. */
async function seedInFlight(page: Page, sources: string[]): Promise<Thread[]> {
  const now = Date.now();
  const threads: Thread[] = sources.map((src, i) => ({
    id: `thr_seed${i}`,
    title: `followed ${i + 1}`,
    model: 'sora-2',
    createdAt: now + i,
    updatedAt: now + i,
    origin: 'popup',
    turns: [
      {
        id: `turn_seed${i}`,
        prompt: `followed ${i + 1}`,
        status: 'generating',
        progress: 30,
        taskId: `task_seed${i}`,
        taskSourceUrl: src,
        content: `> ID: \`task_seed${i}\`\n`,
        createdAt: now + i,
        startedAt: now + i,
      },
    ],
  }));
  await page.evaluate(
    async (items) => {
      const local = (globalThis as unknown as G).chrome.storage.local;
      const index = ((await local.get('threads:index'))['threads:index'] as unknown[] | undefined) ?? [];
      await local.set({ ...items.records, 'threads:index': [...items.entries, ...index] });
    },
    { records: Object.fromEntries(threads.map((t) => [`thread:${t.id}`, t])), entries: threads.map(indexEntryOf).reverse() },
  );
  return threads;
}

test('12. jobs only followed on their task source never hold the queue: three followed after a restart, a fourth prompt starts at once', async ({
  context,
  openPage,
  relay,
  extensionId,
}) => {
  const source = await taskSourceHost('127.0.0.1', true, () => ({ status: 'processing', progress: 30 }));
  try {
    const panel = await setUp(openPage, relay); // the default limit: 3 at once
    const worker = await workerControl(context, panel, extensionId);
    const seeded = await seedInFlight(
      panel,
      [1, 2, 3].map((i) => `${source.url}/tasks/task_seed${i}.json`),
    );
    // The worker restarts (as Chrome does): it finds the three and follows them.
    await worker.stop();
    await wakeByMessage(panel);
    await worker.waitRunning();
    for (const t of seeded) await waitForTurn(panel, t.id, (x) => x.resume?.reason === 'restart');
    await expect.poll(() => new Set(source.polls).size).toBe(3);

    const { threadId } = await generate(panel, 'fourth prompt');
    await expect.poll(() => relay.chatRequests().length, { timeout: 5_000 }).toBe(1);
    expect(await waitForTurn(panel, threadId, finished)).toMatchObject({ status: 'completed' });
    await expect(article(panel, 'fourth prompt').getByText(/Waiting in line/)).toHaveCount(0);
    // The three are still followed (nothing re-sent).
    for (const t of seeded) expect((await lastTurn(panel, t.id))?.status).toBe('generating');
    expect(relay.chatRequests()).toHaveLength(1);
  } finally {
    await source.close();
  }
});

test('13. a task source on a host the extension may not read: the turn says so at once, and once that host is allowed the job is followed to its video', async ({
  context,
  openPage,
  relay,
  extensionId,
}) => {
  let video: string | undefined;
  const source = await taskSourceHost('127.0.0.2', false, () =>
    video ? { status: 'completed', progress: 100, url: video } : { status: 'processing', progress: 30 },
  );
  try {
    const panel = await setUp(openPage, relay);
    const worker = await workerControl(context, panel, extensionId);
    const [seeded] = await seedInFlight(panel, [`${source.url}/tasks/task_seed0.json`]);
    await worker.stop();
    await wakeByMessage(panel);
    await worker.waitRunning();
    const turn = await waitForTurn(panel, seeded!.id, finished);
    const host = new URL(source.url).host;
    expect(turn).toMatchObject({ status: 'interrupted', taskId: 'task_seed0', error: { kind: 'interrupted', needsAccess: source.url } });
    // Said after one poll (its answer, without a CORS header, never reached the extension), not
    // after minutes of polling.
    expect(source.polls).toHaveLength(1);
    const box = article(panel, 'followed 1');
    await expect(box.getByText('Interrupted', { exact: true })).toBeVisible();
    await expect(box).toContainText(
      `The relay reports this job on ${host} (its task source), which Sora Threads has no permission to read`,
    );
    await expect(box).toContainText('task_seed0');
    const allow = box.getByRole('button', { name: `Allow access to ${host}` });
    await expect(allow).toBeVisible();

    // The browser's permission prompt cannot be clicked from a test: the host is granted the way
    // chrome://extensions grants a site, so the button's own request resolves at once.
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
    video = `${relay.url}/files/task_seed0.mp4`;
    await allow.click();
    expect(await waitForTurn(panel, seeded!.id, finished)).toMatchObject({ status: 'completed', videoUrl: video, taskId: 'task_seed0' });
    await expect(box.getByText('Completed', { exact: true })).toBeVisible();
    await expectPlayer(box, video);
    expect(source.polls.length).toBeGreaterThan(1);
    expect(relay.chatRequests()).toHaveLength(0);
  } finally {
    await source.close();
  }
});
