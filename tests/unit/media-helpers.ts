import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import { vi } from 'vitest';
import { createMediaStore, type CopyKind, type CopyMeta, type MediaStore, type MediaStoreOptions } from '../../utils/media';
import { CHUNKS, MEDIA_DB_NAME } from '../../utils/media/schema';

/** Small chunks so every boundary case stays fast; the code under test does not care about the size. */
export const CHUNK = 1024;

export function newStore(options: MediaStoreOptions = {}): { store: MediaStore; factory: IDBFactory } {
  const factory = options.indexedDB ?? new IDBFactory();
  const store = createMediaStore({ chunkSize: CHUNK, progressIntervalMs: 0, ...options, indexedDB: factory });
  return { store, factory };
}

/** Bytes that differ at every offset, so a chunk out of place or repeated shows. */
export function bytesOf(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 255;
  }
  return out;
}

export function metaOf(turnId: string, kind: CopyKind = 'video', threadId = 'thread-1'): CopyMeta {
  return { turnId, threadId, kind };
}

export interface TestStream {
  stream: ReadableStream<Uint8Array>;
  /** Resolves once the consumer cancelled the stream. */
  cancelled: Promise<unknown>;
}

/**
 * `bytes` in pieces of the given sizes (cycled). With `holdAfter`, the stream stops giving
 * bytes after that many and waits forever (a stalled download); with `failAfter` it errors.
 */
export function streamOf(
  bytes: Uint8Array,
  pieces: number[] = [bytes.byteLength || 1],
  end: { holdAfter?: number; failAfter?: number } = {},
): TestStream {
  let offset = 0;
  let turn = 0;
  let onCancel: (reason: unknown) => void = () => undefined;
  const cancelled = new Promise<unknown>((resolve) => (onCancel = resolve));
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (end.failAfter !== undefined && offset >= end.failAfter) {
          controller.error(new TypeError('network error'));
          return;
        }
        if (end.holdAfter !== undefined && offset >= end.holdAfter) return new Promise<void>(() => undefined);
        if (offset >= bytes.byteLength) {
          controller.close();
          return;
        }
        const size = Math.max(1, pieces[turn++ % pieces.length] ?? 1);
        const limit = Math.min(end.holdAfter ?? Infinity, end.failAfter ?? Infinity, bytes.byteLength);
        const next = Math.min(offset + size, limit);
        // A fresh copy each time, as a network stream gives.
        controller.enqueue(bytes.slice(offset, next));
        offset = next;
      },
      cancel(reason) {
        onCancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, cancelled };
}

export async function bytesOfBlob(blob: Blob | undefined): Promise<Uint8Array> {
  if (!blob) throw new Error('no blob');
  return new Uint8Array(await blob.arrayBuffer());
}

/** A server for one file: answers a `Range: bytes=N-` with a 206 when it honours ranges, else 200. */
export function fileServer(
  bytes: Uint8Array,
  options: {
    honoursRange?: boolean;
    etag?: string;
    type?: string;
    pieces?: number[];
    /** Shifts the start the server claims in Content-Range (a broken server). */
    claimOffset?: number;
  } = {},
) {
  const requests: (string | null)[] = [];
  const serve = (init: RequestInit = {}): Response => {
    const range = new Headers(init.headers).get('Range');
    requests.push(range);
    const headers = new Headers({ 'Content-Type': options.type ?? 'video/mp4' });
    if (options.etag) headers.set('ETag', options.etag);
    const match = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (match?.[1] && options.honoursRange !== false) {
      const start = Number(match[1]);
      const claimed = start + (options.claimOffset ?? 0);
      headers.set('Content-Range', `bytes ${claimed}-${bytes.byteLength - 1}/${bytes.byteLength}`);
      headers.set('Content-Length', String(bytes.byteLength - start));
      return new Response(streamOf(bytes.subarray(start), options.pieces).stream, { status: 206, headers });
    }
    headers.set('Content-Length', String(bytes.byteLength));
    return new Response(streamOf(bytes, options.pieces).stream, { status: 200, headers });
  };
  return { serve, requests };
}

/** Reads the database directly: the chunk keys stored for `key` (to catch orphans). */
export async function chunkIndexes(factory: IDBFactory, key: string, dbName = MEDIA_DB_NAME): Promise<number[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(dbName);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('open failed'));
  });
  try {
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const request = db.transaction(CHUNKS).objectStore(CHUNKS).getAllKeys();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('read failed'));
    });
    return keys
      .filter((k): k is [string, number] => Array.isArray(k) && k[0] === key)
      .map((k) => k[1])
      .sort((a, b) => a - b);
  } finally {
    db.close();
  }
}

/**
 * Makes the Nth put into the chunk store fail for lack of space, the way browsers report it:
 * `async` fails the request and aborts its transaction with QuotaExceededError (Chrome at
 * commit); otherwise put() throws the DOMException at once. Returns the undo.
 */
export function failChunkPutWithQuota(nth: number, options: { async?: boolean; name?: string } = {}): () => void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called on the store at hand, with apply
  const original = IDBObjectStore.prototype.put;
  let count = 0;
  const quota = () => new DOMException('The quota has been exceeded.', options.name ?? 'QuotaExceededError');
  const spy = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args) {
    if (this.name === CHUNKS && ++count === nth) {
      if (!options.async) throw quota();
      // fake-indexeddb runs the stored operation later; making it throw fails the request as a real quota refusal does.
      const raw = (this as unknown as { _rawObjectStore: { storeRecord: () => void } })._rawObjectStore;
      raw.storeRecord = () => {
        throw quota();
      };
      try {
        return original.apply(this, args);
      } finally {
        delete (raw as { storeRecord?: unknown }).storeRecord;
      }
    }
    return original.apply(this, args);
  });
  return () => spy.mockRestore();
}
