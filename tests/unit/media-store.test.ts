import { describe, expect, it } from 'vitest';
import { copyKey, parseCopyKey } from '../../utils/media';
import { bytesOf, bytesOfBlob, CHUNK, chunkIndexes, metaOf, newStore, streamOf } from './media-helpers';

describe('media store: chunked copies read back byte for byte', () => {
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 10 * CHUNK + 7];

  for (const chunkForm of ['blob', 'arraybuffer'] as const) {
    for (const size of sizes) {
      it(`${size} bytes, one piece, stored as ${chunkForm}`, async () => {
        const { store, factory } = newStore({ chunkForm });
        const bytes = bytesOf(size, size + 3);
        const record = await store.saveStream('t1:video', { ...metaOf('t1'), mime: 'video/mp4' }, streamOf(bytes).stream);

        expect(record).toMatchObject({ complete: true, stored: size, size, chunks: Math.ceil(size / CHUNK), mime: 'video/mp4' });
        const blob = await store.readBlob('t1:video');
        expect(blob?.type).toBe('video/mp4');
        expect(await bytesOfBlob(blob)).toEqual(bytes);
        expect(await chunkIndexes(factory, 't1:video')).toEqual([...Array(record.chunks).keys()]);
      });
    }
  }

  it('reads a stream split in odd pieces (1 byte, across chunk ends, several chunks at once) to the same bytes', async () => {
    const { store } = newStore();
    const bytes = bytesOf(10 * CHUNK + 7, 42);
    const { stream } = streamOf(bytes, [1, 7, CHUNK - 3, 2 * CHUNK + 5, 13, CHUNK, 3 * CHUNK + 1]);
    const record = await store.saveStream('t2:video', metaOf('t2'), stream);
    expect(record.chunks).toBe(11);
    expect(await bytesOfBlob(await store.readBlob('t2:video'))).toEqual(bytes);
  });

  it('keeps copies apart: two turns saved at the same time read back their own bytes', async () => {
    const { store } = newStore();
    const a = bytesOf(5 * CHUNK + 1, 1);
    const b = bytesOf(3 * CHUNK + 9, 2);
    await Promise.all([
      store.saveStream('a:video', metaOf('a'), streamOf(a, [333]).stream),
      store.saveStream('b:video', metaOf('b'), streamOf(b, [517]).stream),
    ]);
    expect(await bytesOfBlob(await store.readBlob('a:video'))).toEqual(a);
    expect(await bytesOfBlob(await store.readBlob('b:video'))).toEqual(b);
  });

  it('saves a Blob (a reference image) in chunks, typed with its own mime', async () => {
    const { store } = newStore();
    const bytes = bytesOf(2 * CHUNK + 100, 9);
    const record = await store.saveBlob('t3:image:0', metaOf('t3', 'image'), new Blob([bytes], { type: 'image/png' }));
    expect(record).toMatchObject({ complete: true, stored: bytes.byteLength, chunks: 3, mime: 'image/png', kind: 'image' });
    const blob = await store.readBlob('t3:image:0');
    expect(blob?.type).toBe('image/png');
    expect(await bytesOfBlob(blob)).toEqual(bytes);
  });

  it('reports progress that only rises and ends at the whole size', async () => {
    const { store } = newStore();
    const bytes = bytesOf(4 * CHUNK + 10, 5);
    const calls: [number, number | undefined][] = [];
    await store.saveStream('p:video', { ...metaOf('p'), size: bytes.byteLength }, streamOf(bytes, [300, 901]).stream, {
      onProgress: (stored, total) => calls.push([stored, total]),
    });
    expect(calls.length).toBeGreaterThan(5);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
    expect(calls.every(([, total]) => total === bytes.byteLength)).toBe(true);
    expect(calls.at(-1)).toEqual([bytes.byteLength, bytes.byteLength]);
  });

  it('throttles progress: with no time passing, only the first report and the final one', async () => {
    const { store } = newStore({ progressIntervalMs: 1000, now: () => 5000 });
    const bytes = bytesOf(4 * CHUNK, 6);
    const calls: number[] = [];
    await store.saveStream('q:video', metaOf('q'), streamOf(bytes, [100]).stream, { onProgress: (stored) => calls.push(stored) });
    expect(calls).toEqual([0, bytes.byteLength]);
  });

  it('a progress callback that throws does not lose the copy', async () => {
    const { store } = newStore();
    const bytes = bytesOf(2 * CHUNK, 7);
    const record = await store.saveStream('r:video', metaOf('r'), streamOf(bytes).stream, {
      onProgress: () => {
        throw new Error('display gone');
      },
    });
    expect(record.complete).toBe(true);
    expect(await bytesOfBlob(await store.readBlob('r:video'))).toEqual(bytes);
  });

  it('a second save of the same key while the first runs is refused, and the first still completes', async () => {
    const { store } = newStore();
    const bytes = bytesOf(3 * CHUNK, 8);
    const first = store.saveStream('c:video', metaOf('c'), streamOf(bytes, [200]).stream);
    const second = streamOf(bytes);
    await expect(store.saveStream('c:video', metaOf('c'), second.stream)).rejects.toMatchObject({ kind: 'conflict' });
    await second.cancelled;
    expect((await first).complete).toBe(true);
    expect(await bytesOfBlob(await store.readBlob('c:video'))).toEqual(bytes);
  });
});

describe('media store: records, lists, usage', () => {
  it('lists copies by thread and by turn, and adds up usage by kind from the records', async () => {
    const { store } = newStore();
    await store.saveStream('t1:video', metaOf('t1', 'video', 'th-a'), streamOf(bytesOf(3 * CHUNK)).stream);
    await store.saveStream('t1:preview', metaOf('t1', 'preview', 'th-a'), streamOf(bytesOf(100)).stream);
    await store.saveBlob('t2:image:0', metaOf('t2', 'image', 'th-b'), new Blob([bytesOf(50)]));
    await store.recordFailure('t3:video', metaOf('t3', 'video', 'th-b'), { kind: 'http', message: 'expired', status: 403 });

    expect((await store.listByThread('th-a')).map((r) => r.key)).toEqual(['t1:preview', 't1:video']);
    expect((await store.listByThread('th-b')).map((r) => r.key)).toEqual(['t2:image:0', 't3:video']);
    expect((await store.listByTurn('t1')).map((r) => r.key)).toEqual(['t1:preview', 't1:video']);

    expect(await store.usage()).toEqual({
      bytes: 3 * CHUNK + 150,
      count: 3,
      byKind: { video: { bytes: 3 * CHUNK, count: 1 }, preview: { bytes: 100, count: 1 }, image: { bytes: 50, count: 1 } },
      partial: { bytes: 0, count: 0 },
    });
    expect(await store.getRecord('t3:video')).toMatchObject({ stored: 0, complete: false, error: { kind: 'http', status: 403 } });
    expect(await store.readBlob('t3:video')).toBeUndefined();
  });

  it('touch moves lastUsedAt forward only', async () => {
    let clock = 1000;
    const { store } = newStore({ now: () => clock });
    await store.saveStream('t:video', metaOf('t'), streamOf(bytesOf(10)).stream);
    clock = 2000;
    expect(await store.touch('t:video')).toBe(true);
    expect((await store.getRecord('t:video'))?.lastUsedAt).toBe(2000);
    expect(await store.touch('t:video', 1500)).toBe(true);
    expect((await store.getRecord('t:video'))?.lastUsedAt).toBe(2000);
    expect(await store.touch('nothing:video')).toBe(false);
  });

  it("a new store object on the same database reads what another one wrote (a page reading the worker's copy)", async () => {
    const { store: writer, factory } = newStore();
    const bytes = bytesOf(2 * CHUNK + 3, 11);
    await writer.saveStream('w:video', metaOf('w'), streamOf(bytes).stream);
    const { store: reader } = newStore({ indexedDB: factory });
    expect(await bytesOfBlob(await reader.readBlob('w:video'))).toEqual(bytes);
  });

  it('a record whose chunks do not add up is reported corrupt, not played short', async () => {
    const { store, factory } = newStore();
    await store.saveStream('k:video', metaOf('k'), streamOf(bytesOf(3 * CHUNK)).stream);
    const db = await new Promise<IDBDatabase>((resolve) => {
      const r = factory.open('sora-threads-media');
      r.onsuccess = () => resolve(r.result);
    });
    await new Promise<void>((resolve) => {
      const tx = db.transaction('chunks', 'readwrite');
      tx.objectStore('chunks').delete(['k:video', 1]);
      tx.oncomplete = () => resolve();
    });
    db.close();
    await expect(store.readBlob('k:video')).rejects.toMatchObject({ kind: 'corrupt' });
  });
});

describe('copy keys', () => {
  it('derive from the turn id and kind, and parse back even when the turn id holds colons', () => {
    expect(copyKey('turn-1', 'video')).toBe('turn-1:video');
    expect(copyKey('turn-1', 'preview')).toBe('turn-1:preview');
    expect(copyKey('a:b', 'image', 2)).toBe('a:b:image:2');
    expect(parseCopyKey('a:b:image:2')).toEqual({ turnId: 'a:b', kind: 'image', index: 2 });
    expect(parseCopyKey('x:video:video')).toEqual({ turnId: 'x:video', kind: 'video' });
    expect(parseCopyKey('nothing')).toBeUndefined();
    expect(() => copyKey('t', 'image')).toThrow(/index/);
    expect(() => copyKey('t', 'video', 1)).toThrow(/no index/);
    expect(() => copyKey('', 'video')).toThrow(/empty/);
  });
});
