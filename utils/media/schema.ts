import { MediaStoreError } from './errors';
import { settle } from './idb';
import type { ChunkRecord, CopyRecord } from './types';

/** The one database of local copies, apart from the history (storage.local) so neither can break the other. */
export const MEDIA_DB_NAME = 'sora-threads-media';
export const MEDIA_DB_VERSION = 1;

/** CopyRecord by `key`. */
export const COPIES = 'copies';
/** ChunkRecord by [key, index]. */
export const CHUNKS = 'chunks';
export const BY_THREAD = 'byThread';
export const BY_TURN = 'byTurn';

type Upgrade = (db: IDBDatabase, tx: IDBTransaction) => void;

/** UPGRADES[n] takes a database from version n to n + 1. Never edit a shipped step: add one. */
export const UPGRADES: readonly Upgrade[] = [
  (db) => {
    const copies = db.createObjectStore(COPIES, { keyPath: 'key' });
    copies.createIndex(BY_THREAD, 'threadId');
    copies.createIndex(BY_TURN, 'turnId');
    db.createObjectStore(CHUNKS, { keyPath: ['key', 'index'] });
  },
];

export function upgradeMediaDb(db: IDBDatabase, tx: IDBTransaction, oldVersion: number, newVersion: number): void {
  for (let version = oldVersion; version < newVersion; version++) {
    const step = UPGRADES[version];
    if (!step) throw new Error(`no upgrade of the media database from version ${version}`);
    step(db, tx);
  }
}

/**
 * Opens (creating or upgrading) the database. The connection closes itself when another
 * context asks for a newer version, so an updated extension page never waits on an old worker.
 */
export function openMediaDb(factory: IDBFactory, name = MEDIA_DB_NAME, version = MEDIA_DB_VERSION): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, version);
    } catch (err) {
      reject(new MediaStoreError('storage', 'cannot open the local copies database', { cause: err }));
      return;
    }
    request.onupgradeneeded = (event) => {
      const tx = request.transaction;
      if (!tx) return;
      upgradeMediaDb(request.result, tx, event.oldVersion, event.newVersion ?? version);
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => {
      const err = request.error;
      const message =
        err?.name === 'VersionError'
          ? 'the local copies were written by a newer version of the extension'
          : `cannot open the local copies database (${err?.name ?? 'unknown error'})`;
      reject(new MediaStoreError('storage', message, { cause: err }));
    };
  });
}

// Typed reads of the stores. IndexedDB hands back `any`; what these stores hold is what write.ts
// put there, since no one but this extension can write to its database.

export function getCopy(copies: IDBObjectStore, key: string): Promise<CopyRecord | undefined> {
  return settle(copies.get(key) as IDBRequest<CopyRecord | undefined>);
}

/** Every copy in `source` (the store, or one of its indexes at `query`). */
export function getCopies(source: IDBObjectStore | IDBIndex, query?: IDBValidKey): Promise<CopyRecord[]> {
  return settle(source.getAll(query) as IDBRequest<CopyRecord[]>);
}

export function getChunk(chunks: IDBObjectStore, key: string, index: number): Promise<ChunkRecord | undefined> {
  return settle(chunks.get([key, index]) as IDBRequest<ChunkRecord | undefined>);
}
