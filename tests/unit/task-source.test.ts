import { describe, expect, it } from 'vitest';
import { RelayError } from '@/utils/relay/errors';
import {
  followTaskSource,
  MAX_TASK_SOURCE_BYTES,
  readTaskSource,
  type FollowOptions,
  type TaskSourceState,
} from '@/utils/chat/task-source';

const SRC = 'https://relay.test/tasks/task_1.json';
const VIDEO = 'https://files.test/task_1.mp4';
const GIF = 'https://files.test/task_1.gif';

const json = (value: unknown, init: ResponseInit = {}) =>
  new Response(typeof value === 'string' ? value : JSON.stringify(value), {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    ...init,
  });

type Answer = Response | Error | (() => Response | Promise<Response>);

/** A task source that answers from a script, one answer per poll (the last one repeats). */
function fakeSource(answers: Answer[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const a = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    if (a instanceof Error) throw a;
    return typeof a === 'function' ? a() : a.clone();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

/** Options with a virtual clock: sleeping advances it and records the delay. */
function virtual(extra: Partial<FollowOptions> = {}) {
  let now = 1_000_000;
  const delays: number[] = [];
  const updates: TaskSourceState[] = [];
  const opts: FollowOptions = {
    now: () => now,
    random: () => 0.5, // no jitter
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(new RelayError('cancelled', 'Cancelled'));
      delays.push(ms);
      now += ms;
      return Promise.resolve();
    },
    onUpdate: (s) => void updates.push(s),
    ...extra,
  };
  return { opts, delays, updates, advance: (ms: number) => (now += ms) };
}

const processing = (progress: number) =>
  json({ id: 'task_1', status: 'processing', progress, url: null, gif_url: null, data: null, failure_reason: null });
const queued = () => json({ id: 'task_1', status: 'queued', progress: 0, url: null, gif_url: null, data: null, failure_reason: null });
const completed = () =>
  json({ id: 'task_1', status: 'completed', progress: 100, url: VIDEO, gif_url: GIF, data: { url: VIDEO }, failure_reason: null });

describe('readTaskSource', () => {
  it('reads the relay fields: status, progress, url, gif_url, data.url, failure_reason', () => {
    expect(readTaskSource({ status: 'queued', progress: 0 })).toEqual({ status: 'queued', progress: 0 });
    expect(readTaskSource({ status: 'processing', progress: 44 })).toEqual({ status: 'generating', progress: 44 });
    expect(readTaskSource({ status: 'completed', url: VIDEO, gif_url: GIF })).toEqual({
      status: 'completed',
      progress: 100,
      videoUrl: VIDEO,
      previewUrl: GIF,
    });
    expect(readTaskSource({ status: 'succeeded', url: null, data: { url: VIDEO } })).toMatchObject({
      status: 'completed',
      videoUrl: VIDEO,
    });
    expect(readTaskSource({ status: 'failed', failure_reason: 'content policy' })).toEqual({ status: 'failed', failure: 'content policy' });
    expect(readTaskSource({ status: 'FAILED' })).toMatchObject({ status: 'failed', failure: 'The generation failed.' });
  });

  it('reads the variants relays use', () => {
    expect(readTaskSource({ code: 0, data: { status: 'IN_PROGRESS', progress: '61%' } })).toEqual({ status: 'generating', progress: 61 });
    expect(readTaskSource({ task: { state: 'done', video_url: VIDEO, thumbnail_url: GIF, sid: 's_abc' } })).toEqual({
      status: 'completed',
      progress: 100,
      videoUrl: VIDEO,
      previewUrl: GIF,
      sid: 's_abc',
    });
    expect(readTaskSource({ status: '生成中', progress: 12 })).toMatchObject({ status: 'generating' });
    expect(readTaskSource({ status: 'error', error: { message: 'upstream 502' } })).toMatchObject({
      status: 'failed',
      failure: 'upstream 502',
    });
    // No status word, but a link: still usable.
    expect(readTaskSource({ url: VIDEO })).toMatchObject({ status: 'unknown', videoUrl: VIDEO });
  });

  it('treats hostile JSON as data: no javascript: links, bounded text, no crash', () => {
    for (const bad of [null, 42, 'completed', [], [{ status: 'completed' }], {}, { status: 7 }, { status: 'x'.repeat(1000) }]) {
      expect(readTaskSource(bad)).toHaveProperty('invalid');
    }
    const evil = readTaskSource({
      status: 'completed',
      url: 'javascript:alert(1)',
      data: { url: 'data:video/mp4;base64,AAAA' },
      gif_url: `https://x.test/${'a'.repeat(10_000)}`,
    });
    expect(evil).toEqual({ status: 'completed', progress: 100 });
    const progress = (p: unknown) => (readTaskSource({ status: 'processing', progress: p }) as TaskSourceState).progress;
    expect(progress(-5)).toBeUndefined();
    expect(progress(Number.NaN)).toBeUndefined();
    expect(progress('1e400')).toBeUndefined();
    expect(progress({ valueOf: () => 50 })).toBeUndefined();
    expect(progress(1e9)).toBe(100);
    const failed = readTaskSource({ status: 'failed', failure_reason: `bad\u0000\u202e${'y'.repeat(2000)}` }) as TaskSourceState;
    expect(failed.failure).not.toContain('\u0000');
    expect(failed.failure).not.toContain('\u202e');
    expect(failed.failure!.length).toBeLessThanOrEqual(501);
    expect(readTaskSource(JSON.parse('{"__proto__":{"status":"completed"},"status":"queued"}'))).toEqual({ status: 'queued' });
    expect(({} as Record<string, unknown>).status).toBeUndefined();
    // An invalid sid is not kept (it would be sent back to the relay).
    expect(readTaskSource({ status: 'queued', sid: 's_1\n> injected' })).toEqual({ status: 'queued' });
  });
});

describe('followTaskSource', () => {
  it('polls until completed, reporting progress, and returns the video and preview', async () => {
    const src = fakeSource([queued(), processing(10), processing(40), processing(80), completed()]);
    const v = virtual();
    const result = await followTaskSource(SRC, { ...v.opts, fetch: src.fetch });
    expect(result).toEqual({ outcome: 'completed', state: { status: 'completed', progress: 100, videoUrl: VIDEO, previewUrl: GIF } });
    expect(v.updates.map((u) => [u.status, u.progress])).toEqual([
      ['queued', 0],
      ['generating', 10],
      ['generating', 40],
      ['generating', 80],
    ]);
    expect(src.calls).toHaveLength(5);
  });

  it('sends no key, no cookies, no referrer', async () => {
    const src = fakeSource([completed()]);
    await followTaskSource(SRC, { ...virtual().opts, fetch: src.fetch, secret: 'sk-secret' });
    const { url, init } = src.calls[0]!;
    expect(url).toBe(SRC);
    expect(init).toMatchObject({ method: 'GET', credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store' });
    expect(JSON.stringify(init.headers)).not.toMatch(/authorization|sk-secret/i);
  });

  it('backs off while nothing changes and starts over when the job moves on', async () => {
    const src = fakeSource([queued(), queued(), queued(), queued(), processing(5), processing(6), processing(7), completed()]);
    const v = virtual({ minDelayMs: 1000, factor: 2, maxDelayMs: 5000 });
    await followTaskSource(SRC, { ...v.opts, fetch: src.fetch });
    // queued (new) 1 s, then 2, 4, capped at 5; generating (new) 1 s again, then 2, 4.
    expect(v.delays).toEqual([1000, 2000, 4000, 5000, 1000, 2000, 4000]);
  });

  it('rides out network errors and 5xx, and honours Retry-After', async () => {
    const src = fakeSource([
      new TypeError('Failed to fetch'),
      json({ error: 'down' }, { status: 503 }),
      json({ error: 'slow down' }, { status: 429, headers: { 'Retry-After': '30' } }),
      completed(),
    ]);
    const v = virtual({ minDelayMs: 1000, factor: 2 });
    const result = await followTaskSource(SRC, { ...v.opts, fetch: src.fetch });
    expect(result.outcome).toBe('completed');
    expect(v.delays).toEqual([2000, 4000, 30_000]);
  });

  it('gives up as lost after answers that cannot get better (404, not JSON, HTML, too big)', async () => {
    for (const answer of [
      () => json({ error: 'no such task' }, { status: 404 }),
      () => json('<html><body>login</body></html>', { headers: { 'Content-Type': 'text/html' } }),
      () => json('{"status":'),
      () => json({ hello: 'world' }),
      () => json({ status: 'processing', pad: 'x'.repeat(MAX_TASK_SOURCE_BYTES) }),
    ]) {
      const src = fakeSource([answer]);
      const result = await followTaskSource(SRC, { ...virtual().opts, fetch: src.fetch, maxHardErrors: 3 });
      expect(result.outcome).toBe('lost');
      expect(src.calls).toHaveLength(3);
    }
  });

  it('a failed job ends failed with its reason, the key redacted', async () => {
    const src = fakeSource([processing(30), json({ status: 'failed', failure_reason: 'auth sk-secret rejected upstream' })]);
    const result = await followTaskSource(SRC, { ...virtual().opts, fetch: src.fetch, secret: 'sk-secret' });
    expect(result).toMatchObject({ outcome: 'failed', failure: 'auth *** rejected upstream' });
  });

  it('"completed" without any http(s) video link is not believed forever', async () => {
    const src = fakeSource([json({ status: 'completed', url: 'javascript:alert(1)' })]);
    const result = await followTaskSource(SRC, { ...virtual().opts, fetch: src.fetch, maxCompletedWithoutLink: 3 });
    expect(result).toEqual({ outcome: 'lost', reason: 'the relay says the video is finished but gives no http(s) link to it' });
    expect(src.calls).toHaveLength(3);
  });

  it('polls that fail for maxFailingMs in a row end it as lost; one answer in between starts the count again', async () => {
    const down = new TypeError('Failed to fetch');
    // 6 failures (~1 min of backoff), one answer, then failures for good.
    const src = fakeSource([down, down, down, down, down, down, processing(20), down]);
    const v = virtual({ fetch: src.fetch, maxFailingMs: 5 * 60_000 });
    const r = await followTaskSource(SRC, v.opts);
    expect(r).toEqual({
      outcome: 'lost',
      reason: 'every request to the task source failed for 5 min (the task source could not be reached)',
    });
    const total = v.delays.reduce((a, b) => a + b, 0);
    const afterAnswer = v.delays.slice(7).reduce((a, b) => a + b, 0);
    expect(afterAnswer).toBeGreaterThanOrEqual(5 * 60_000 - 15_000);
    expect(total).toBeLessThan(10 * 60_000);
  });

  it('onFailure can stop it at the first failed poll, and hears whether the request got any answer', async () => {
    const seen: { reason: string; network: boolean }[] = [];
    const src = fakeSource([json({ error: 'busy' }, { status: 503 }), new TypeError('Failed to fetch')]);
    const v = virtual({ fetch: src.fetch, onFailure: (f) => (seen.push(f), f.network) });
    expect(await followTaskSource(SRC, v.opts)).toEqual({ outcome: 'lost', reason: 'the task source could not be reached' });
    expect(seen).toEqual([
      { reason: 'the task source answered HTTP 503', network: false },
      { reason: 'the task source could not be reached', network: true },
    ]);
    expect(src.calls).toHaveLength(2);
  });

  it('stops at the deadline with what it knows', async () => {
    const src = fakeSource([processing(10)]);
    const v = virtual({ minDelayMs: 1000, maxDelayMs: 1000 });
    const result = await followTaskSource(SRC, { ...v.opts, fetch: src.fetch, deadline: 1_000_000 + 10_500 });
    expect(result).toEqual({ outcome: 'lost', reason: 'the job did not finish in time' });
    expect(src.calls.length).toBe(11);
  });

  it('a request that hangs counts as a failed poll, not a hang', async () => {
    let n = 0;
    const fetch = ((_url: string, init: RequestInit) => {
      if (n++ === 0)
        return new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
      return Promise.resolve(completed());
    }) as unknown as typeof globalThis.fetch;
    const result = await followTaskSource(SRC, { ...virtual().opts, fetch, requestTimeoutMs: 20 });
    expect(result.outcome).toBe('completed');
    expect(n).toBe(2);
  });

  it('cancelling rejects with a cancelled error, while waiting and while fetching', async () => {
    const ctrl = new AbortController();
    const src = fakeSource([processing(1)]);
    const waiting = followTaskSource(SRC, { fetch: src.fetch, signal: ctrl.signal, minDelayMs: 60_000 });
    await new Promise((r) => setTimeout(r, 5));
    ctrl.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled' });

    const ctrl2 = new AbortController();
    const hanging = ((_u: string, init: RequestInit) =>
      new Promise((_, reject) =>
        init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      )) as unknown as typeof fetch;
    const fetching = followTaskSource(SRC, { fetch: hanging, signal: ctrl2.signal });
    ctrl2.abort();
    await expect(fetching).rejects.toBeInstanceOf(RelayError);
  });

  it('never fetches a link that is not http(s)', async () => {
    const src = fakeSource([completed()]);
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'chrome://settings', '/tasks/1.json', '']) {
      expect(await followTaskSource(bad, { ...virtual().opts, fetch: src.fetch })).toMatchObject({ outcome: 'lost' });
    }
    expect(src.calls).toHaveLength(0);
  });
});
