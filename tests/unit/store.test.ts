import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { browser } from 'wxt/browser';
import {
  readIndex,
  readStorageProblem,
  readThreads,
  StorageWriteError,
  ThreadWriter,
  WRITE_INTERVAL_MS,
  WRITE_RETRY_MAX_MS,
  WRITE_RETRY_MIN_MS,
} from '@/utils/store';
import { INDEX_KEY, SCHEMA_KEY, threadKey } from '@/utils/storage-keys';
import { migrate, SCHEMA_VERSION, type Migration } from '@/utils/schema';
import { newThread, type Thread } from '@/utils/threads';

beforeEach(() => {
  fakeBrowser.reset();
  vi.useRealTimers();
});

const withProgress = (t: Thread, progress: number): Thread => ({
  ...t,
  turns: t.turns.map((x) => ({ ...x, status: 'generating', progress })),
});

describe('ThreadWriter', () => {
  it('stores one key per thread plus an index, newest first', async () => {
    const w = new ThreadWriter();
    await w.load();
    const a = newThread('first', 'sora-2', 'popup', 1000);
    const b = newThread('second', 'sora-2-pro', 'popup', 2000);
    await w.put(a, { immediate: true });
    await w.put(b, { immediate: true });
    const all = await browser.storage.local.get(null);
    expect(all[threadKey(a.id)]).toEqual(a);
    expect(all[threadKey(b.id)]).toEqual(b);
    expect((await readIndex()).map((e) => e.id)).toEqual([b.id, a.id]);
  });

  it('coalesces progress writes to at most one per interval, and writes phase changes at once', async () => {
    vi.useFakeTimers();
    let now = 0;
    const set = vi.fn(async (items: Record<string, unknown>) => browser.storage.local.set(items));
    const w = new ThreadWriter(set, () => now);
    await w.load();
    const t = newThread('p', 'sora-2', 'popup');
    await w.put(t, { immediate: true });
    expect(set).toHaveBeenCalledTimes(1);
    // 100 chunks over one second
    for (let i = 1; i <= 100; i++) {
      now = i * 10;
      await w.put(withProgress(t, i), {});
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.runAllTimersAsync();
    const progressWrites = set.mock.calls.length - 1;
    expect(progressWrites).toBeLessThanOrEqual(1000 / WRITE_INTERVAL_MS + 1);
    expect(progressWrites).toBeGreaterThanOrEqual(4);
    // the last state always lands
    const stored = (await readThreads([t.id])).value[0];
    expect(stored?.turns[0]?.progress).toBe(100);
    await w.put({ ...t, title: 'renamed' }, { immediate: true });
    expect(set).toHaveBeenCalledTimes(progressWrites + 2);
  });

  it('writes the index only when the summary changes', async () => {
    const set = vi.fn(async (items: Record<string, unknown>) => browser.storage.local.set(items));
    let now = 0;
    const w = new ThreadWriter(set, () => (now += 1000));
    await w.load();
    const t = newThread('p', 'sora-2', 'popup');
    await w.put(t, { immediate: true });
    await w.put(withProgress(t, 10));
    await w.put(withProgress(t, 20));
    const keys = set.mock.calls.map((c) => Object.keys(c[0]!).sort());
    expect(keys[0]).toEqual([INDEX_KEY, threadKey(t.id)].sort());
    expect(keys[1]).toEqual([INDEX_KEY, threadKey(t.id)].sort()); // status pending → generating
    expect(keys[2]).toEqual([threadKey(t.id)]); // progress only
  });

  it('update() never loses a concurrent change', async () => {
    const w = new ThreadWriter();
    await w.load();
    const t = newThread('p', 'sora-2', 'popup');
    await w.put(t, { immediate: true });
    const fresh = new ThreadWriter();
    await fresh.load();
    await Promise.all([
      fresh.update(t.id, (x) => ({ ...x, title: 'A' }), { immediate: true }),
      fresh.update(t.id, (x) => ({ ...x, model: 'sora-2-pro' }), { immediate: true }),
    ]);
    const stored = (await readThreads([t.id])).value[0];
    expect(stored).toMatchObject({ title: 'A', model: 'sora-2-pro' });
  });

  it('keeps the state queued when a write fails (quota) and retries on the next write', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const w = new ThreadWriter(async (items) => {
      if (fail) throw new Error('QUOTA_BYTES quota exceeded');
      await browser.storage.local.set(items);
    });
    w.onWriteError = (e) => errors.push(e);
    await w.load();
    const t = newThread('p', 'sora-2', 'popup');
    await w.put(t, { immediate: true });
    expect(errors).toHaveLength(1);
    fail = false;
    await w.flushAll();
    expect((await readThreads([t.id])).value[0]?.id).toBe(t.id);
  });

  it('after a failed write, retries on its own with backoff, reports the problem, and clears it once saved', async () => {
    vi.useFakeTimers();
    let fail = true;
    const attempts: number[] = [];
    const w = new ThreadWriter(async (items) => {
      const isThread = Object.keys(items).some((k) => k.startsWith('thread:'));
      if (isThread) attempts.push(Date.now());
      if (fail && isThread) throw new Error('QUOTA_BYTES quota exceeded');
      await browser.storage.local.set(items);
    });
    await w.load();
    const t = newThread('p', 'sora-2', 'popup');
    // Never rejects: the state is kept in memory.
    await expect(w.put(t, { immediate: true })).resolves.toBeUndefined();
    expect(await w.get(t.id)).toEqual(t);
    expect(w.unsaved).toBe(true);
    expect(await readStorageProblem()).toMatchObject({ message: expect.stringMatching(/^Browser storage is full/), threadIds: [t.id] });
    await vi.advanceTimersByTimeAsync(WRITE_RETRY_MIN_MS);
    expect(attempts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(WRITE_RETRY_MIN_MS * 2);
    expect(attempts).toHaveLength(3);
    fail = false;
    await vi.advanceTimersByTimeAsync(WRITE_RETRY_MIN_MS * 4);
    expect(attempts).toHaveLength(4);
    expect((await readThreads([t.id])).value[0]).toEqual(t);
    expect(w.unsaved).toBe(false);
    await vi.runAllTimersAsync();
    expect(await readStorageProblem()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(WRITE_RETRY_MAX_MS);
    expect(attempts).toHaveLength(4);
  });

  it('a strict put that cannot be stored rolls back and rejects with a clear message', async () => {
    let fail = false;
    const w = new ThreadWriter(async (items) => {
      if (fail) throw new Error('QUOTA_BYTES quota exceeded');
      await browser.storage.local.set(items);
    });
    await w.load();
    const t = newThread('p', 'sora-2', 'popup');
    await w.put(t, { immediate: true, strict: true });
    fail = true;
    const changed = { ...t, title: 'changed' };
    await expect(w.put(changed, { strict: true })).rejects.toBeInstanceOf(StorageWriteError);
    await expect(w.update(t.id, (x) => ({ ...x, title: 'again' }), { strict: true })).rejects.toThrow(/Browser storage is full/);
    expect((await w.get(t.id))?.title).toBe('p');
    const other = newThread('q', 'sora-2', 'popup');
    await expect(w.put(other, { immediate: true, strict: true })).rejects.toThrow(StorageWriteError);
    expect(await w.get(other.id)).toBeUndefined();
    expect(w.entries().map((e) => e.id)).toEqual([t.id]);
  });

  it('keeps at most one coalesced write per thread in flight; the newest state follows it', async () => {
    vi.useFakeTimers();
    let now = 0;
    const releases: (() => void)[] = [];
    const written: number[] = [];
    const w = new ThreadWriter(
      (items) =>
        new Promise<void>((resolve) => {
          const t = Object.values(items).find((v) => (v as Thread)?.turns) as Thread | undefined;
          releases.push(() => {
            if (t) written.push(t.turns[0]!.progress ?? -1);
            resolve();
          });
        }),
      () => now,
    );
    const t = newThread('p', 'sora-2', 'popup');
    now = 1000;
    const first = w.put(withProgress(t, 1));
    // A slow write (a multi-megabyte answer) is in flight; progress keeps coming.
    for (let i = 2; i <= 10; i++) {
      now += 300;
      await w.put(withProgress(t, i));
      await vi.advanceTimersByTimeAsync(300);
    }
    expect(releases).toHaveLength(1);
    releases[0]!();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    expect(releases).toHaveLength(2);
    releases[1]!();
    await vi.runAllTimersAsync();
    expect(written).toEqual([1, 10]);
  });

  it('a phase change first writes the progress still waiting for its turn (nothing shown-worthy is skipped)', async () => {
    vi.useFakeTimers();
    let now = 0;
    const written: (number | undefined)[] = [];
    const w = new ThreadWriter(async (items) => {
      const t = Object.values(items).find((v) => (v as Thread)?.turns) as Thread | undefined;
      if (t) written.push(t.turns[0]!.progress);
      await browser.storage.local.set(items);
    }, () => now);
    const t = newThread('p', 'sora-2', 'popup');
    await w.put(withProgress(t, 69));
    now = 150;
    await w.put(withProgress(t, 81)); // inside the interval: waits for its turn
    now = 170;
    await w.put({ ...withProgress(t, 100), title: 'done' }, { immediate: true });
    await vi.runAllTimersAsync();
    expect(written).toEqual([69, 81, 100]);
  });

  it('reads a record whose error or resume has the wrong shape as damaged (a page would crash rendering it)', async () => {
    const t = newThread('p', 'sora-2', 'popup');
    const bad = { ...t, id: 'bad', turns: [{ ...t.turns[0]!, status: 'failed', error: { kind: 'server', message: { html: '<b>' } } }] };
    const bad2 = { ...t, id: 'bad2', turns: [{ ...t.turns[0]!, resume: 'yes' }] };
    const good = { ...t, turns: [{ ...t.turns[0]!, status: 'generating', resume: { reason: 'restart', since: 1, message: 'm' } }] };
    await browser.storage.local.set({ [threadKey('bad')]: bad, [threadKey('bad2')]: bad2, [threadKey(t.id)]: good });
    const r = await readThreads(['bad', 'bad2', t.id]);
    expect(r.skipped).toEqual(['bad', 'bad2']);
    expect(r.value.map((x) => x.id)).toEqual([t.id]);
  });

  it('reports damaged records instead of throwing, and leaves them in place', async () => {
    const good = newThread('ok', 'sora-2', 'popup');
    await browser.storage.local.set({ [threadKey(good.id)]: good, [threadKey('bad')]: { id: 'bad', turns: 'nope' } });
    const r = await readThreads([good.id, 'bad']);
    expect(r.value.map((t) => t.id)).toEqual([good.id]);
    expect(r.skipped).toEqual(['bad']);
    expect((await browser.storage.local.get(threadKey('bad')))[threadKey('bad')]).toEqual({ id: 'bad', turns: 'nope' });
  });
});

describe('schema migrations', () => {
  it('0 → 1 builds the index from thread records found without one', async () => {
    const a = newThread('a', 'sora-2', 'popup', 1);
    const b = newThread('b', 'sora-2', 'popup', 2);
    await browser.storage.local.set({ [threadKey(a.id)]: a, [threadKey(b.id)]: b, [threadKey('junk')]: 42 });
    const r = await migrate();
    expect(r).toEqual({ from: 0, to: SCHEMA_VERSION, newer: false });
    expect((await readIndex()).map((e) => e.id)).toEqual([b.id, a.id]);
    expect((await browser.storage.local.get(SCHEMA_KEY))[SCHEMA_KEY]).toBe(SCHEMA_VERSION);
    // the damaged record is not deleted
    expect((await browser.storage.local.get(threadKey('junk')))[threadKey('junk')]).toBe(42);
  });

  it('is a no-op at the current version and leaves a newer schema alone', async () => {
    await browser.storage.local.set({ [SCHEMA_KEY]: SCHEMA_VERSION, [INDEX_KEY]: [] });
    expect(await migrate()).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, newer: false });
    await browser.storage.local.set({ [SCHEMA_KEY]: 99 });
    expect(await migrate()).toEqual({ from: 99, to: 99, newer: true });
    expect((await browser.storage.local.get(SCHEMA_KEY))[SCHEMA_KEY]).toBe(99);
  });

  it('runs each step in order and records the version after each', async () => {
    const seen: number[] = [];
    const steps: Record<number, Migration> = {
      1: () => (seen.push(1), { set: { a: 1 }, remove: [] }),
      2: (all) => (seen.push(2), { set: { b: (all.a as number) + 1 }, remove: ['a'] }),
    };
    await migrate(steps, 2);
    expect(seen).toEqual([1, 2]);
    const all = await browser.storage.local.get(null);
    expect(all).toEqual({ b: 2, [SCHEMA_KEY]: 2 });
  });
});
