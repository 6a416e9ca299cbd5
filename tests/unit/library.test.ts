import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { focusIdOf } from '@/utils/side-panel';
import { Library, matches, queryTerms, queuePositions, SCAN_BATCH, searchTextOf } from '@/components/library';
import { indexEntryOf } from '@/utils/threads/records';
import { INDEX_KEY, threadKey } from '@/utils/threads/storage-keys';
import { newThread, newTurn, type Thread } from '@/utils/threads/model';

// The pages use the browser's own API object (no polyfill): here that is wxt's fake browser.
(globalThis as unknown as { chrome: unknown }).chrome = fakeBrowser;

beforeEach(() => {
  vi.restoreAllMocks();
  fakeBrowser.reset();
});

function thread(i: number, prompts: string[], status: 'completed' | 'pending' = 'completed'): Thread {
  const t: Thread = newThread(prompts[0]!, 'sora-2', 'popup', 1_000 + i * 10);
  t.id = `thr_${i}`;
  t.turns = prompts.map((p, k) => ({ ...newTurn(p, 1_000 + i * 10 + k), id: `turn_${i}_${k}`, status }));
  return t;
}

async function store(threads: Thread[]) {
  const items: Record<string, unknown> = { [INDEX_KEY]: threads.map(indexEntryOf) };
  for (const t of threads) items[threadKey(t.id)] = t;
  await fakeBrowser.storage.local.set(items);
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

describe('search helpers', () => {
  it('needs every word, in the title or any prompt, ignoring case', () => {
    const t = thread(1, ['A Lighthouse at night', 'make it GOLDEN hour']);
    const text = searchTextOf(t);
    expect(matches(queryTerms('golden LIGHTHOUSE'), t.title, text)).toBe(true);
    expect(matches(queryTerms('  golden   hour '), t.title, text)).toBe(true);
    expect(matches(queryTerms('golden snow'), t.title, text)).toBe(false);
    // Before its prompts are read, only the title can match.
    expect(matches(queryTerms('golden'), t.title, undefined)).toBe(false);
    expect(matches(queryTerms('lighthouse'), t.title, undefined)).toBe(true);
    expect(queryTerms('   ')).toEqual([]);
  });

  it('numbers pending turns across threads by when they were asked for', () => {
    const a = thread(1, ['a'], 'pending');
    const b = thread(2, ['b'], 'pending');
    b.turns[0]!.createdAt = 500; // asked for before a
    const c = thread(3, ['c']);
    const q = queuePositions([a, b, c]);
    expect(q.get('turn_2_0')).toBe(1);
    expect(q.get('turn_1_0')).toBe(2);
    expect(q.has('turn_3_0')).toBe(false);
  });

  it('reads a focus request written as an id or as {threadId, at}', () => {
    expect(focusIdOf('thr_1')).toBe('thr_1');
    expect(focusIdOf({ threadId: 'thr_2', at: 5 })).toBe('thr_2');
    expect(focusIdOf({ threadId: 3 })).toBeUndefined();
    expect(focusIdOf(undefined)).toBeUndefined();
  });
});

describe('Library', () => {
  it('starts from the index alone, newest first, and loads only the records asked for', async () => {
    await store([thread(1, ['one']), thread(2, ['two']), thread(3, ['three'])]);
    const get = vi.spyOn(fakeBrowser.storage.local, 'get');
    const lib = new Library();
    lib.start();
    await settle();
    expect(lib.ready).toBe(true);
    expect(lib.index.map((e) => e.id)).toEqual(['thr_3', 'thr_2', 'thr_1']);
    expect(lib.records.size).toBe(0);
    await lib.ensure(['thr_3']);
    expect([...lib.records.keys()]).toEqual(['thr_3']);
    // The index, then one read for the one thread: never the whole history.
    const keysRead = get.mock.calls.flatMap((c): unknown[] => (Array.isArray(c[0]) ? c[0] : [c[0]]));
    expect(keysRead).toEqual([INDEX_KEY, threadKey('thr_3')]);
    lib.dispose();
  });

  it('always loads active threads, so queue places are known', async () => {
    await store([thread(1, ['done']), thread(2, ['waiting'], 'pending'), thread(3, ['also waiting'], 'pending')]);
    const lib = new Library();
    lib.start();
    await settle();
    expect([...lib.records.keys()].sort()).toEqual(['thr_2', 'thr_3']);
    expect([...lib.queue().entries()]).toEqual([
      ['turn_2_0', 1],
      ['turn_3_0', 2],
    ]);
    lib.dispose();
  });

  it('search reads every thread in batches, keeps only text, and finds a prompt deep in the history', async () => {
    const many = Array.from({ length: SCAN_BATCH * 2 + 5 }, (_, i) =>
      thread(i, [`scene ${i}`, i === 7 ? 'a violet giraffe' : `change ${i}`]),
    );
    await store(many);
    const get = vi.spyOn(fakeBrowser.storage.local, 'get');
    const lib = new Library();
    lib.start();
    await settle();
    expect(lib.search('violet giraffe')).toEqual([]);
    expect(lib.scanned).toBe(false);
    await lib.scanAll();
    expect(lib.scanned).toBe(true);
    expect(lib.search('violet giraffe').map((e) => e.id)).toEqual(['thr_7']);
    expect(lib.search('scene').length).toBe(many.length);
    expect(lib.records.size).toBe(0);
    const batches = get.mock.calls.filter((c) => Array.isArray(c[0]) && (c[0] as string[]).every((k) => k.startsWith('thread:thr_')));
    expect(batches.map((c) => (c[0] as string[]).length)).toEqual([SCAN_BATCH, SCAN_BATCH, 5]);
    lib.dispose();
  });

  it('follows storage: new and changed threads, deletions, and a damaged record is skipped, not shown', async () => {
    await store([thread(1, ['one'])]);
    await fakeBrowser.storage.local.set({
      [threadKey('thr_bad')]: { id: 'thr_bad', nonsense: true },
      [INDEX_KEY]: [indexEntryOf(thread(1, ['one'])), { id: 'thr_bad', title: 'bad', model: 'x', createdAt: 1, updatedAt: 1 }],
    });
    const lib = new Library();
    const changed = vi.fn();
    lib.subscribe(changed);
    lib.start();
    await settle();
    await lib.ensure(['thr_1', 'thr_bad']);
    expect([...lib.records.keys()]).toEqual(['thr_1']);
    expect([...lib.skipped]).toEqual(['thr_bad']);

    const two = thread(2, ['two']);
    await store([thread(1, ['one']), two]);
    await settle();
    expect(lib.index[0]!.id).toBe('thr_2');
    expect(lib.records.get('thr_2')).toEqual(two);

    await fakeBrowser.storage.local.remove(threadKey('thr_2'));
    await fakeBrowser.storage.local.set({ [INDEX_KEY]: [indexEntryOf(thread(1, ['one']))] });
    await settle();
    expect(lib.records.has('thr_2')).toBe(false);
    expect(lib.index.map((e) => e.id)).toEqual(['thr_1']);
    expect(changed).toHaveBeenCalled();
    lib.dispose();
  });

  it('an index entry without a record (a delete cut short) is read once and left out, not re-read on every render', async () => {
    const kept = thread(1, ['kept']);
    await store([kept]);
    // The index still lists thr_9, whose record is gone.
    await fakeBrowser.storage.local.set({ [INDEX_KEY]: [indexEntryOf(thread(9, ['gone'])), indexEntryOf(kept)] });
    const get = vi.spyOn(fakeBrowser.storage.local, 'get');
    const lib = new Library();
    // What the side panel does: every change re-renders, and every render asks for what it shows.
    // (Capped, so the loop this guards against ends and fails the test instead of hanging it.)
    let renders = 0;
    lib.subscribe(() => void (++renders < 50 && lib.ensure(lib.index.map((e) => e.id))));
    lib.start();
    for (let i = 0; i < 20; i++) await settle();
    const readsOfGone = get.mock.calls.filter((c) => Array.isArray(c[0]) && (c[0] as string[]).includes(threadKey('thr_9')));
    expect(readsOfGone).toHaveLength(1);
    expect(lib.index.map((e) => e.id)).toEqual(['thr_1']);
    expect([...lib.records.keys()]).toEqual(['thr_1']);

    // Written again after all (an import): shown again.
    const back = thread(9, ['gone']);
    await fakeBrowser.storage.local.set({ [threadKey('thr_9')]: back });
    await settle();
    expect(lib.index.map((e) => e.id)).toEqual(['thr_9', 'thr_1']);
    expect(lib.records.get('thr_9')).toEqual(back);
    lib.dispose();
  });
});
