import { MediaStoreError } from './errors';
import { MEDIA_DB_NAME, openMediaDb } from './schema';

export type ChunkForm = 'blob' | 'arraybuffer';

export interface MediaStoreOptions {
  /** The IndexedDB to use; the context's own `indexedDB` by default (tests pass fake-indexeddb, the bench the real one). */
  indexedDB?: IDBFactory;
  dbName?: string;
  /** Bytes per stored chunk: the most a save holds in memory at once (plus one chunk being committed). */
  chunkSize?: number;
  /**
   * 'blob' (default): chunks are Blobs, which browsers keep on disk, so reading a copy back
   * builds a Blob of Blobs without copying bytes into JS. 'arraybuffer' for engines that
   * cannot store Blobs.
   */
  chunkForm?: ChunkForm;
  /** Least time between two progress callbacks of one save. */
  progressIntervalMs?: number;
  /**
   * A partial copy whose last chunk is older than this is taken as abandoned (its writer
   * stopped) and may be evicted; a newer one may still be written by another context.
   */
  staleWriteMs?: number;
  now?: () => number;
}

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;
export const DEFAULT_STALE_WRITE_MS = 5 * 60 * 1000;

/** What every store function shares: one lazily opened connection and the writes running here. */
export interface MediaContext {
  db(): Promise<IDBDatabase>;
  close(): void;
  readonly chunkSize: number;
  readonly chunkForm: ChunkForm;
  readonly progressIntervalMs: number;
  readonly staleWriteMs: number;
  now(): number;
  /** Keys being written by this store object: never evicted, never written twice at once. */
  readonly writing: Set<string>;
}

export function createMediaContext(options: MediaStoreOptions = {}): MediaContext {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  const name = options.dbName ?? MEDIA_DB_NAME;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, not ${chunkSize}`);
  let connection: Promise<IDBDatabase> | undefined;

  const db = (): Promise<IDBDatabase> => {
    if (!factory) return Promise.reject(new MediaStoreError('storage', 'IndexedDB is not available here'));
    if (!connection) {
      const opening = openMediaDb(factory, name).then((opened) => {
        // Closed by a newer version or by the browser (storage cleared): open again on next use.
        const forget = () => {
          if (connection === opening) connection = undefined;
        };
        opened.addEventListener('close', forget);
        opened.addEventListener('versionchange', forget);
        return opened;
      });
      opening.catch(() => {
        if (connection === opening) connection = undefined;
      });
      connection = opening;
    }
    return connection;
  };

  return {
    db,
    close() {
      const current = connection;
      connection = undefined;
      void current?.then(
        (opened) => opened.close(),
        () => undefined,
      );
    },
    chunkSize,
    chunkForm: options.chunkForm ?? 'blob',
    progressIntervalMs: options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
    staleWriteMs: options.staleWriteMs ?? DEFAULT_STALE_WRITE_MS,
    now: options.now ?? Date.now,
    writing: new Set(),
  };
}
