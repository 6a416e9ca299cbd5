import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { browser } from 'wxt/browser';
import { readFileSync } from 'node:fs';
import {
  HistoryUnavailableError,
  readIndex,
  readThreads,
  ThreadWriter,
  MAX_WRITES_PER_SECOND,
  WRITE_RETRY_MAX_MS,
} from '@/utils/threads/store';
import { INDEX_KEY, SCHEMA_KEY, threadKey } from '@/utils/threads/storage-keys';
import { migrate, SCHEMA_VERSION, type Migration } from '@/utils/threads/schema';
import { newThread, type Thread } from '@/utils/threads/model';
import { isRecord } from '@/utils/is-record';

beforeEach(() => {
  vi.restoreAllMocks();
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

  it('never writes one thread more than 5 times in any second, phase changes included', async () => {
    vi.useFakeTimers({ now: 0 });
    const at: number[] = [];
    const set = vi.fn(async (items: Record<string, unknown>) => {
      at.push(Date.now());
      await browser.storage.local.set(items);
    });
    const w = new ThreadWriter(set);
    await w.load();
    const t = newThread('p', 'sora-2', 'popup');
    await w.put(t, { immediate: true });
    expect(set).toHaveBeenCalledTimes(1);
    // 100 chunks a second for 3 s, with a phase change (new links) every 700 ms on top
    for (let i = 1; i <= 300; i++) {
      const next = withProgress(t, i / 3);
      await Promise.race([w.put(next, { immediate: i % 70 === 0 }), vi.advanceTimersByTimeAsync(0)]);
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(3000);
    const busiest = Math.max(...at.map((start) => at.filter((x) => x >= start && x <= start + 1000).length));
    expect(busiest).toBeLessThanOrEqual(MAX_WRITES_PER_SECOND);
    expect(set.mock.calls.length).toBeGreaterThanOrEqual(12);
    // the last state always lands
    expect((await readThreads([t.id])).value[0]?.turns[0]?.progress).toBe(100);
  });

  it('a phase change is written at once when the second allows it, else in the next slot', async () => {
    vi.useFakeTimers();
    let now = 0;
    const written: (number | undefined)[] = [];
    const w = new ThreadWriter(
      async (items) => {
        const t = Object.values(items).find((v) => isRecord(v) && v.turns) as Thread | undefined;
        if (t) written.push(t.turns[0]!.progress);
        await browser.storage.local.set(items);
      },
      () => now,
    );
    await w.load();
    const t = newThread('p', 'sora-2', 'popup');
    await w.put(withProgress(t, 69));
    now = 150;
    await w.put(withProgress(t, 81)); // inside the interval: waits for its turn
    now = 170;
    // The phase change carries the waiting progress with it: one write, not two.
    await w.put({ ...withProgress(t, 100), title: 'done' }, { immediate: true });
    expect(written).toEqual([69, 100]);
    for (let i = 0; i < 3; i++) await w.put(withProgress(t, 100), { immediate: true });
    expect(written).toHaveLength(5);
    now = 400;
    const sixth = w.put({ ...withProgress(t, 100), title: 'renamed' }, { immediate: true });
    expect(written).toHaveLength(5); // the second is full: it waits for its slot
    now = 1001;
    await vi.advanceTimersByTimeAsync(700);
    await sixth;
    expect(written).toHaveLength(6);
  });

  it('a delete writes the index before removing the record: stopped in between, no listed thread lacks its record', async () => {
    const w = new ThreadWriter();
    await w.load();
    const a = newThread('a', 'sora-2', 'popup', 1000);
    const b = newThread('b', 'sora-2', 'popup', 2000);
    await w.put(a, { immediate: true });
    await w.put(b, { immediate: true });
    // The worker is stopped right after the delete's first write.
    // The promise form the writer calls (spyOn would type the mock as the last, callback overload).
    const area = browser.storage.local as { remove(keys: string | string[]): Promise<void> };
    const remove = vi.spyOn(area, 'remove').mockImplementation(() => new Promise(() => {}));
    void w.remove(a.id);
    await vi.waitFor(() => expect(remove).toHaveBeenCalled());
    const index = await readIndex();
    expect(index.map((e) => e.id)).toEqual([b.id]);
    const records = await readThreads(index.map((e) => e.id));
    expect(records.value.map((t) => t.id)).toEqual([b.id]);
  });

  it('a thread deleted while its write fails is not stored again by the retry', async () => {
    vi.useFakeTimers();
    let failWrites = true;
    let reject!: (e: Error) => void;
    const w = new ThreadWriter(async (items) => {
      if (failWrites && Object.keys(items).some((k) => k.startsWith('thread:'))) {
        await new Promise((_, r) => (reject = r));
      }
      await browser.storage.local.set(items);
    });
    await w.load();
    const t = newThread('doomed', 'sora-2', 'popup');
    const written = w.put(t, { immediate: true });
    await vi.advanceTimersByTimeAsync(0);
    // The delete lands while the write is in flight; then that write fails (quota).
    await w.remove(t.id);
    reject(new Error('QUOTA_BYTES quota exceeded'));
    await written;
    failWrites = false;
    await vi.advanceTimersByTimeAsync(WRITE_RETRY_MAX_MS * 2);
    await w.flushAll();
    expect((await browser.storage.local.get(threadKey(t.id)))[threadKey(t.id)]).toBeUndefined();
    expect((await readIndex()).map((e) => e.id)).not.toContain(t.id);
    expect(await w.get(t.id)).toBeUndefined();
  });

  it('a read in flight during a delete does not bring the thread back through a later update', async () => {
    const w = new ThreadWriter();
    await w.load();
    const t = newThread('doomed', 'sora-2', 'popup');
    await w.put(t, { immediate: true });
    const fresh = new ThreadWriter(); // another worker start: nothing cached
    await fresh.load();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const get = browser.storage.local.get.bind(browser.storage.local);
    vi.spyOn(browser.storage.local, 'get').mockImplementationOnce((async (keys: string[]) => {
      const got = await get(keys);
      await held;
      return got;
    }) as never);
    const reading = fresh.get(t.id);
    await fresh.remove(t.id);
    release();
    expect(await reading).toBeUndefined();
    expect(await fresh.update(t.id, (x) => ({ ...x, title: 'zombie' }), { immediate: true })).toBeUndefined();
    expect((await browser.storage.local.get(threadKey(t.id)))[threadKey(t.id)]).toBeUndefined();
    // Only an undo or an import puts it back.
    await fresh.put(t, { immediate: true });
    expect(await fresh.get(t.id)).toBeUndefined();
    await fresh.put(t, { immediate: true, revive: true });
    expect(await fresh.get(t.id)).toEqual(t);
  });

  it('reads a record whose error or resume has the wrong shape as damaged (a page would crash rendering it)', async () => {
    const t = newThread('p', 'sora-2', 'popup');
    const bad = { ...t, id: 'bad', turns: [{ ...t.turns[0], status: 'failed', error: { kind: 'server', message: { html: '<b>' } } }] };
    const bad2 = { ...t, id: 'bad2', turns: [{ ...t.turns[0], resume: 'yes' }] };
    const good = { ...t, turns: [{ ...t.turns[0], status: 'generating', resume: { reason: 'restart', since: 1, message: 'm' } }] };
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

/** A storage fixture (tests/fixtures/storage) as the local area holds it. */
function fixture(name: string): Record<string, unknown> {
  const data = JSON.parse(readFileSync(`tests/fixtures/storage/${name}.json`, 'utf8')) as Record<string, unknown>;
  delete data._about;
  return data;
}

/** What the background does at start-up (entrypoints/background/index.ts), on a writer. */
async function startUp(w: ThreadWriter): Promise<void> {
  const schema = await migrate().catch((err: unknown) => {
    w.refuseWrites(err);
    throw err;
  });
  await w.load({ readOnly: schema.newer });
}

describe('start-up with what storage holds (fixtures)', () => {
  const ids = ['thr_fx3', 'thr_fx2', 'thr_fx1'];

  it('an intact history opens as it is', async () => {
    await browser.storage.local.set(fixture('v1-intact'));
    const w = new ThreadWriter();
    await startUp(w);
    expect(w.entries().map((e) => e.id)).toEqual(ids);
    expect(w.writable).toBe(true);
  });

  it.each(['v1-index-missing', 'v1-index-damaged'])(
    '%s: the index is rebuilt from the thread records, and a new thread joins them',
    async (name) => {
      await browser.storage.local.set(fixture(name));
      const w = new ThreadWriter();
      await startUp(w);
      expect(w.entries().map((e) => e.id)).toEqual(ids);
      expect((await readIndex()).map((e) => e.id)).toEqual(ids);
      const t = newThread('new', 'sora-2', 'popup', 1764500300000);
      await w.put(t, { immediate: true, strict: true });
      expect((await readIndex()).map((e) => e.id)).toEqual([t.id, ...ids]);
    },
  );

  it.each(['v1-index-missing', 'v1-index-damaged'])(
    '%s: a page reads the threads from their records too (never an empty history)',
    async (name) => {
      await browser.storage.local.set(fixture(name));
      expect((await readIndex()).map((e) => e.id)).toEqual(ids);
    },
  );

  it('storage that cannot be read: every write is refused with a clear message and the index is never replaced', async () => {
    await browser.storage.local.set(fixture('v1-intact'));
    const before = await browser.storage.local.get(null);
    const get = vi.spyOn(browser.storage.local, 'get').mockRejectedValueOnce(new Error('IO error: database is locked'));
    const w = new ThreadWriter();
    await expect(startUp(w)).rejects.toThrow(/IO error/);
    get.mockRestore();
    expect(w.writable).toBe(false);
    const t = newThread('after a failed start', 'sora-2', 'popup', 1764500300000);
    await expect(w.put(t, { immediate: true, strict: true })).rejects.toThrow(HistoryUnavailableError);
    await expect(w.put(t, { immediate: true })).rejects.toThrow(
      /history could not be read \(IO error: database is locked\).*nothing stored was changed/,
    );
    await expect(w.update('thr_fx1', (x) => ({ ...x, title: 'renamed' }))).rejects.toThrow(HistoryUnavailableError);
    await expect(w.remove('thr_fx1')).rejects.toThrow(HistoryUnavailableError);
    expect(await browser.storage.local.get(null)).toEqual(before);
  });

  it('a migration that fails leaves the writer refusing writes (it never read the index)', async () => {
    await browser.storage.local.set(fixture('v1-index-missing'));
    await browser.storage.local.remove('meta:schema');
    const w = new ThreadWriter();
    const set = vi.spyOn(browser.storage.local, 'set').mockRejectedValueOnce(new Error('QUOTA_BYTES quota exceeded'));
    await expect(startUp(w)).rejects.toThrow(/QUOTA_BYTES/);
    set.mockRestore();
    const before = await browser.storage.local.get(null);
    await expect(w.put(newThread('x', 'sora-2', 'popup'), { immediate: true, strict: true })).rejects.toThrow(HistoryUnavailableError);
    expect(await browser.storage.local.get(null)).toEqual(before);
  });

  it('a history from a newer version is read where it can be and never written', async () => {
    await browser.storage.local.set(fixture('v99-newer'));
    const before = await browser.storage.local.get(null);
    const w = new ThreadWriter();
    await startUp(w);
    expect(w.writable).toBe(false);
    // Its records are still there to read.
    expect((await w.get('thr_fx2'))?.title).toBe('a fox in fresh snow');
    await expect(w.put(newThread('x', 'sora-2', 'popup'), { immediate: true, strict: true })).rejects.toThrow(
      /newer version of Sora Threads/,
    );
    await expect(w.update('thr_fx2', (x) => ({ ...x, title: 'renamed' }))).rejects.toThrow(/newer version/);
    await expect(w.remove('thr_fx2')).rejects.toThrow(/newer version/);
    expect(await browser.storage.local.get(null)).toEqual(before);
  });
});
