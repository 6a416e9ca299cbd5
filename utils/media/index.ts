/**
 * Local copies of videos, previews and reference images, kept in IndexedDB
 * (`sora-threads-media`) so a turn still plays and downloads after its relay's link expired.
 *
 * The background is the writer. When a turn completes it saves the video and the preview:
 *
 *     const media = createMediaStore();                  // one per context, opened lazily
 *     const key = copyKey(turn.id, 'video');
 *     const meta = { turnId: turn.id, threadId: thread.id, kind: 'video' } as const;
 *     const partial = await media.getRecord(key);       // a save a stopped worker left half done
 *     const response = await fetch(url, resumeFetchInit(partial, init)); // key in `init` only for the relay's own /content
 *     await media.saveFromResponse(key, meta, response, { signal, onProgress: (stored, total) => … });
 *
 * saveFromResponse streams the body into chunks (never the whole file in memory), continues a
 * partial copy on a 206, starts over on a 200, and rejects with a MediaStoreError whose `kind`
 * says what to tell the user ('quota', 'http' for an expired link, …) and whether to retry:
 * RESUMABLE_KINDS keep their bytes for the next try. After a save, `evictToFit(cap, { keep })`
 * keeps the copies under the user's cap.
 *
 * Pages are readers. To play or download a copy:
 *
 *     const copy = await openCopyUrl(media, copyKey(turn.id, 'video'));
 *     if (copy) video.src = copy.url;                   // and copy.revoke() once it is off screen
 *
 * A copy that is missing or not complete reads as undefined; `getRecord(key)?.error` says why.
 * Nothing here reads or writes the history: deleting copies never loses a thread.
 */
import { createMediaContext, type MediaStoreOptions } from './context';
import { deleteAll, deleteCopies, evictToFit } from './manage';
import { getRecord, listAll, listByThread, listByTurn, readBlob, touch, usage } from './read';
import { saveBlob, saveFromResponse, saveStream } from './save';
import type { CopyError, CopyMeta, CopyRecord, MediaUsage, WriteOptions } from './types';
import { recordFailure } from './write';

export interface MediaStore {
  /** Streams a fetched response into the copy (see the module comment for resume). */
  saveFromResponse(key: string, meta: CopyMeta, response: Response, options?: WriteOptions): Promise<CopyRecord>;
  /** Streams bytes from any source into a fresh copy. */
  saveStream(key: string, meta: CopyMeta, stream: ReadableStream<Uint8Array>, options?: WriteOptions): Promise<CopyRecord>;
  saveBlob(key: string, meta: CopyMeta, blob: Blob, options?: WriteOptions): Promise<CopyRecord>;
  /** Keeps why a turn has no copy (no permission, link expired) without touching stored bytes. */
  recordFailure(key: string, meta: CopyMeta, error: CopyError): Promise<void>;

  getRecord(key: string): Promise<CopyRecord | undefined>;
  readBlob(key: string, options?: { partial?: boolean }): Promise<Blob | undefined>;
  listByThread(threadId: string): Promise<CopyRecord[]>;
  listByTurn(turnId: string): Promise<CopyRecord[]>;
  listAll(): Promise<CopyRecord[]>;
  usage(): Promise<MediaUsage>;
  touch(key: string, at?: number): Promise<boolean>;

  deleteCopies(keys: Iterable<string>): Promise<string[]>;
  deleteAll(): Promise<{ bytes: number; count: number }>;
  evictToFit(capBytes: number, options?: { keep?: ReadonlySet<string> }): Promise<CopyRecord[]>;

  /** Closes the connection; the next call opens it again. */
  close(): void;
}

export function createMediaStore(options: MediaStoreOptions = {}): MediaStore {
  const ctx = createMediaContext(options);
  return {
    saveFromResponse: (key, meta, response, opts) => saveFromResponse(ctx, key, meta, response, opts),
    saveStream: (key, meta, stream, opts) => saveStream(ctx, key, meta, stream, opts),
    saveBlob: (key, meta, blob, opts) => saveBlob(ctx, key, meta, blob, opts),
    recordFailure: (key, meta, error) => recordFailure(ctx, key, meta, error),
    getRecord: (key) => getRecord(ctx, key),
    readBlob: (key, opts) => readBlob(ctx, key, opts),
    listByThread: (threadId) => listByThread(ctx, threadId),
    listByTurn: (turnId) => listByTurn(ctx, turnId),
    listAll: () => listAll(ctx),
    usage: () => usage(ctx),
    touch: (key, at) => touch(ctx, key, at),
    deleteCopies: (keys) => deleteCopies(ctx, keys),
    deleteAll: () => deleteAll(ctx),
    evictToFit: (capBytes, opts) => evictToFit(ctx, capBytes, opts),
    close: () => ctx.close(),
  };
}

export { DEFAULT_CHUNK_SIZE, type ChunkForm, type MediaStoreOptions } from './context';
export { isQuotaError, MediaStoreError, RESUMABLE_KINDS } from './errors';
export { copyKey, parseCopyKey, type ParsedCopyKey } from './keys';
export { openCopyUrl, type CopyUrl } from './object-url';
export { parseContentRange, rangeHeaderFor, resumeFetchInit, type ContentRange } from './resume';
export { MEDIA_DB_NAME, MEDIA_DB_VERSION } from './schema';
export * from './types';
