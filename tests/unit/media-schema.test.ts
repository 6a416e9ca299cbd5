import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createMediaStore, MEDIA_DB_NAME, MEDIA_DB_VERSION } from '../../utils/media';
import { BY_THREAD, BY_TURN, CHUNKS, COPIES, UPGRADES } from '../../utils/media/schema';
import { bytesOf, bytesOfBlob, metaOf, streamOf } from './media-helpers';

function open(factory: IDBFactory, version?: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(MEDIA_DB_NAME, version);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('open failed'));
    request.onblocked = () => reject(new Error('blocked by an open connection'));
  });
}

describe('media database schema', () => {
  it('has one upgrade step per version', () => {
    expect(UPGRADES.length).toBe(MEDIA_DB_VERSION);
  });

  it('version 1 (from nothing): copies by key with thread and turn indexes, chunks by [key, index]', async () => {
    const factory = new IDBFactory();
    const store = createMediaStore({ indexedDB: factory });
    await store.usage(); // opens and creates
    store.close();
    const db = await open(factory);
    try {
      expect(db.version).toBe(1);
      expect([...db.objectStoreNames].sort()).toEqual([CHUNKS, COPIES]);
      const tx = db.transaction([COPIES, CHUNKS]);
      const copies = tx.objectStore(COPIES);
      expect(copies.keyPath).toBe('key');
      expect([...copies.indexNames].sort()).toEqual([BY_THREAD, BY_TURN]);
      expect(copies.index(BY_THREAD).keyPath).toBe('threadId');
      expect(copies.index(BY_TURN).keyPath).toBe('turnId');
      expect(tx.objectStore(CHUNKS).keyPath).toEqual(['key', 'index']);
    } finally {
      db.close();
    }
  });

  it('reopening a version 1 database keeps its copies', async () => {
    const factory = new IDBFactory();
    const bytes = bytesOf(5000, 4);
    const first = createMediaStore({ indexedDB: factory, chunkSize: 1024 });
    await first.saveStream('t:video', metaOf('t'), streamOf(bytes).stream);
    first.close();
    const second = createMediaStore({ indexedDB: factory });
    expect(await bytesOfBlob(await second.readBlob('t:video'))).toEqual(bytes);
  });

  it('an open store does not block a newer version opened elsewhere (an updated extension page)', async () => {
    const factory = new IDBFactory();
    const store = createMediaStore({ indexedDB: factory });
    await store.usage();
    const newer = await open(factory, MEDIA_DB_VERSION + 1);
    newer.close();
    // This code cannot read a newer layout: it says so instead of guessing.
    await expect(store.usage()).rejects.toMatchObject({ kind: 'storage', message: expect.stringMatching(/newer version/) as string });
  });

  it('without any IndexedDB, calls fail with a clear storage error', async () => {
    expect('indexedDB' in globalThis).toBe(false); // node: no global to fall back on
    const store = createMediaStore({ indexedDB: undefined });
    await expect(store.usage()).rejects.toMatchObject({ kind: 'storage', message: expect.stringMatching(/not available/) as string });
  });
});
