import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { browser } from 'wxt/browser';
import { readIndex, readThreads, ThreadWriter, WRITE_INTERVAL_MS } from '@/utils/store';
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
