import { describe, expect, it } from 'vitest';
import { bytesOf, bytesOfBlob, CHUNK, chunkIndexes, metaOf, newStore, streamOf } from './media-helpers';

/** Four complete copies of 2 chunks each, last used at 100, 200, 300, 400 (in key order a, b, c, d). */
async function fourCopies() {
  let clock = 0;
  const setup = newStore({ now: () => clock, staleWriteMs: 1000 });
  for (const [i, turn] of ['a', 'b', 'c', 'd'].entries()) {
    clock = 100 * (i + 1);
    await setup.store.saveStream(`${turn}:video`, metaOf(turn), streamOf(bytesOf(2 * CHUNK, i)).stream);
  }
  return { ...setup, setClock: (t: number) => (clock = t) };
}

describe('media store: eviction to a cap', () => {
  it('removes the least recently used copies first, only as many as needed, and returns them', async () => {
    const { store, factory, setClock } = await fourCopies();
    setClock(500);
    await store.touch('a:video'); // a is now the most recent
    const removed = await store.evictToFit(2 * 2 * CHUNK + 1);
    expect(removed.map((r) => r.key)).toEqual(['b:video', 'c:video']);
    expect((await store.listAll()).map((r) => r.key)).toEqual(['a:video', 'd:video']);
    expect(await store.usage()).toMatchObject({ bytes: 4 * CHUNK, count: 2 });
    expect(await chunkIndexes(factory, 'b:video')).toEqual([]);
    expect(await bytesOfBlob(await store.readBlob('a:video'))).toEqual(bytesOf(2 * CHUNK, 0));
  });

  it('never removes a copy in the keep set (on screen), taking the next oldest instead', async () => {
    const { store } = await fourCopies();
    const removed = await store.evictToFit(3 * 2 * CHUNK, { keep: new Set(['a:video']) });
    expect(removed.map((r) => r.key)).toEqual(['b:video']);
    expect(await store.getRecord('a:video')).toBeDefined();
  });

  it('does nothing under the cap, and removes all it may under a cap of 0', async () => {
    const { store } = await fourCopies();
    expect(await store.evictToFit(8 * CHUNK)).toEqual([]);
    const removed = await store.evictToFit(0, { keep: new Set(['d:video']) });
    expect(removed.map((r) => r.key)).toEqual(['a:video', 'b:video', 'c:video']);
    expect((await store.usage()).bytes).toBe(2 * CHUNK);
    await expect(store.evictToFit(Number.NaN)).rejects.toThrow(RangeError);
  });

  it('never removes a copy being saved here, nor a partial copy another context wrote to recently; an abandoned one goes', async () => {
    const { store, factory, setClock } = await fourCopies();
    // Saving right now in this store, its chunks written at 0 (older than every other copy): stalls after 3 chunks.
    setClock(0);
    const live = streamOf(bytesOf(6 * CHUNK, 9), [CHUNK], { holdAfter: 3 * CHUNK });
    const liveController = new AbortController();
    const saving = store.saveStream('live:video', metaOf('live'), live.stream, { signal: liveController.signal });
    saving.catch(() => undefined);
    while ((await store.getRecord('live:video'))?.stored !== 3 * CHUNK) await new Promise((r) => setTimeout(r, 5));

    // Another context's save in progress: a partial record with a writer, written at 40.
    setClock(40);
    const other = newStore({ indexedDB: factory, now: () => 40 }).store;
    const otherController = new AbortController();
    const otherSave = other.saveStream(
      'other:video',
      metaOf('other'),
      streamOf(bytesOf(4 * CHUNK), [CHUNK], { holdAfter: 2 * CHUNK }).stream,
      {
        signal: otherController.signal,
      },
    );
    otherSave.catch(() => undefined);
    while ((await store.getRecord('other:video'))?.stored !== 2 * CHUNK) await new Promise((r) => setTimeout(r, 5));

    setClock(1000); // 960 ms after the other context's last chunk: not stale yet (1000 ms)
    let removed = await store.evictToFit(0);
    expect(removed.map((r) => r.key)).toEqual(['a:video', 'b:video', 'c:video', 'd:video']);
    expect(await store.getRecord('live:video')).toMatchObject({ stored: 3 * CHUNK });
    expect(await store.getRecord('other:video')).toMatchObject({ stored: 2 * CHUNK });

    setClock(1041); // both writers quiet past staleWriteMs: the other context's copy counts as abandoned, ours is still ours
    removed = await store.evictToFit(0);
    expect(removed.map((r) => r.key)).toEqual(['other:video']);
    expect(await store.getRecord('live:video')).toMatchObject({ stored: 3 * CHUNK });
    otherController.abort();
    await expect(otherSave).rejects.toMatchObject({ kind: 'aborted' });
    expect(await store.getRecord('other:video')).toBeUndefined();
    liveController.abort();
    await expect(saving).rejects.toMatchObject({ kind: 'aborted' });
    expect(await store.getRecord('live:video')).toMatchObject({ stored: 3 * CHUNK, complete: false });
  });
});

describe('media store: deleting copies', () => {
  it('deleteCopies removes those copies and their chunks, leaves the others, and ignores unknown keys', async () => {
    const { store, factory } = await fourCopies();
    expect(await store.deleteCopies(['b:video', 'zzz:video', 'b:video'])).toEqual(['b:video']);
    expect(await chunkIndexes(factory, 'b:video')).toEqual([]);
    expect((await store.listAll()).map((r) => r.key)).toEqual(['a:video', 'c:video', 'd:video']);
    expect(await bytesOfBlob(await store.readBlob('c:video'))).toEqual(bytesOf(2 * CHUNK, 2));
  });

  it('deleteAll empties the store and says what it freed', async () => {
    const { store, factory } = await fourCopies();
    await store.recordFailure('x:video', metaOf('x'), { kind: 'http', message: 'gone', status: 404 });
    expect(await store.deleteAll()).toEqual({ bytes: 8 * CHUNK, count: 4 });
    expect(await store.listAll()).toEqual([]);
    expect(await store.usage()).toMatchObject({ bytes: 0, count: 0 });
    expect(await chunkIndexes(factory, 'a:video')).toEqual([]);
  });

  it('a save running while its copy is deleted stops, and brings none of it back', async () => {
    const { store, factory } = newStore();
    const saving = store.saveStream('s:video', metaOf('s'), streamOf(bytesOf(8 * CHUNK), [CHUNK]).stream, {
      onProgress: (n) => {
        if (n === 2 * CHUNK) void store.deleteAll();
      },
    });
    await expect(saving).rejects.toMatchObject({ kind: 'deleted' });
    expect(await store.getRecord('s:video')).toBeUndefined();
    expect(await chunkIndexes(factory, 's:video')).toEqual([]);
  });
});
