import type { MediaContext } from './context';
import { MediaStoreError } from './errors';
import { inTransaction } from './idb';
import type { ResponsePlan } from './response';
import { CHUNKS, COPIES, getCopy } from './schema';
import type { CopyError, CopyMeta, CopyRecord } from './types';

/**
 * The transactions of one save. Each chunk lands in its own transaction together with the
 * record's new `stored`, so a copy is never ahead of or behind its bytes, whenever the worker
 * stops. Every transaction first checks that this write still owns the copy (it was not
 * deleted, evicted, or taken over by another context), so nothing deleted comes back.
 */

export interface WriteSession {
  readonly key: string;
  readonly writeId: string;
  /** Bytes committed so far. */
  stored: number;
  /** The whole file's size, when known. */
  readonly total?: number;
}

export type Begin =
  { kind: 'write'; session: WriteSession } | { kind: 'existing'; record: CopyRecord } | { kind: 'refused'; error: MediaStoreError };

function dropChunks(chunks: IDBObjectStore, record: CopyRecord): void {
  for (let index = 0; index < record.chunks; index++) chunks.delete([record.key, index]);
}

/** The record with no bytes left, remembering why (next save starts from byte 0). */
function emptied(record: CopyRecord, now: number, error: CopyError): CopyRecord {
  const { writeId: _w, size: _s, etag: _e, lastModified: _l, ...rest } = record;
  return { ...rest, stored: 0, chunks: 0, complete: false, updatedAt: now, error };
}

function rangeMismatch(from: number, stored: number): MediaStoreError {
  return new MediaStoreError('range-mismatch', `the answer continues at byte ${from}, but the copy holds ${stored} bytes`, {
    status: 206,
  });
}

function continuationProblem(record: CopyRecord | undefined, from: number, plan: ResponsePlan): MediaStoreError | undefined {
  if (!record || record.stored !== from) return rangeMismatch(from, record?.stored ?? 0);
  const changed =
    (record.etag !== undefined && plan.etag !== undefined && record.etag !== plan.etag) ||
    (record.lastModified !== undefined && plan.lastModified !== undefined && record.lastModified !== plan.lastModified) ||
    (record.size !== undefined && plan.total !== undefined && record.size !== plan.total);
  return changed
    ? new MediaStoreError('source-changed', 'the file behind the link changed since the copy began', { status: 206 })
    : undefined;
}

/**
 * Claims the copy for a new write. A complete copy is kept as it is ('existing'); a plan from
 * byte 0 drops any partial bytes; a continuation must start exactly where the copy stopped and
 * come from the same file, else the partial copy is emptied (the next try fetches it whole).
 */
export async function beginCopy(ctx: MediaContext, key: string, meta: CopyMeta, plan: ResponsePlan): Promise<Begin> {
  const db = await ctx.db();
  return inTransaction(db, [COPIES, CHUNKS], 'readwrite', async (tx): Promise<Begin> => {
    const copies = tx.objectStore(COPIES);
    const chunks = tx.objectStore(CHUNKS);
    const record = await getCopy(copies, key);
    if (record?.complete) return { kind: 'existing', record };
    const now = ctx.now();
    const writeId = crypto.randomUUID();

    if (plan.from !== 'start') {
      const problem = continuationProblem(record, plan.from, plan);
      if (problem !== undefined || record === undefined) {
        const error = problem ?? rangeMismatch(plan.from, 0);
        if (record) {
          dropChunks(chunks, record);
          copies.put(emptied(record, now, error.toJSON()));
        }
        return { kind: 'refused', error };
      }
      const { error: _e, ...kept } = record;
      const next: CopyRecord = {
        ...kept,
        writeId,
        updatedAt: now,
        lastUsedAt: now,
        ...(plan.total !== undefined && { size: plan.total }),
        ...(plan.etag !== undefined && { etag: plan.etag }),
        ...(plan.lastModified !== undefined && { lastModified: plan.lastModified }),
      };
      copies.put(next);
      return { kind: 'write', session: { key, writeId, stored: record.stored, ...(next.size !== undefined && { total: next.size }) } };
    }

    if (record) dropChunks(chunks, record);
    const fresh: CopyRecord = {
      key,
      turnId: meta.turnId,
      threadId: meta.threadId,
      kind: meta.kind,
      mime: plan.mime,
      stored: 0,
      chunks: 0,
      complete: false,
      createdAt: record?.createdAt ?? now,
      lastUsedAt: now,
      updatedAt: now,
      writeId,
      ...(plan.total !== undefined && { size: plan.total }),
      ...(plan.etag !== undefined && { etag: plan.etag }),
      ...(plan.lastModified !== undefined && { lastModified: plan.lastModified }),
      ...(plan.sourceUrl !== undefined && { sourceUrl: plan.sourceUrl }),
    };
    copies.put(fresh);
    return { kind: 'write', session: { key, writeId, stored: 0, ...(plan.total !== undefined && { total: plan.total }) } };
  });
}

function owned(record: CopyRecord | undefined, session: WriteSession): CopyRecord {
  if (!record) throw new MediaStoreError('deleted', 'the copy was deleted while it was being saved');
  if (record.writeId !== session.writeId || record.stored !== session.stored)
    throw new MediaStoreError('conflict', 'another save took this copy over');
  return record;
}

/** Appends one chunk. `bytes` is dropped by the caller after this resolves: nothing else keeps it. */
export async function commitChunk(ctx: MediaContext, session: WriteSession, bytes: Blob | ArrayBuffer, length: number): Promise<void> {
  const db = await ctx.db();
  await inTransaction(db, [COPIES, CHUNKS], 'readwrite', async (tx) => {
    const copies = tx.objectStore(COPIES);
    const record = owned(await getCopy(copies, session.key), session);
    tx.objectStore(CHUNKS).put({ key: session.key, index: record.chunks, bytes });
    copies.put({ ...record, stored: record.stored + length, chunks: record.chunks + 1, updatedAt: ctx.now() });
  });
  session.stored += length;
}

/** Marks the copy complete: from now on it is read, played and downloaded. */
export async function finishCopy(ctx: MediaContext, session: WriteSession): Promise<CopyRecord> {
  const db = await ctx.db();
  return inTransaction(db, [COPIES], 'readwrite', async (tx) => {
    const copies = tx.objectStore(COPIES);
    const { writeId: _w, error: _e, ...record } = owned(await getCopy(copies, session.key), session);
    const done: CopyRecord = { ...record, complete: true, size: record.stored, updatedAt: ctx.now() };
    copies.put(done);
    return done;
  });
}

/**
 * After a failed save: a copy that stopped for a resumable reason keeps its bytes and says why;
 * one refused for space, or whose bytes cannot be trusted, is emptied so the space it took is
 * given back and usage stays true. A copy this write no longer owns is left alone. Best effort:
 * the original error is what the caller reports.
 */
export async function failCopy(ctx: MediaContext, session: WriteSession, error: MediaStoreError): Promise<void> {
  if (error.kind === 'deleted' || error.kind === 'conflict') return;
  const empty = error.kind === 'quota' || error.kind === 'corrupt';
  try {
    const db = await ctx.db();
    await inTransaction(db, [COPIES, CHUNKS], 'readwrite', async (tx) => {
      const copies = tx.objectStore(COPIES);
      const record = await getCopy(copies, session.key);
      if (!record || record.writeId !== session.writeId) return;
      if (empty) {
        dropChunks(tx.objectStore(CHUNKS), record);
        copies.put(emptied(record, ctx.now(), error.toJSON()));
      } else {
        const { writeId: _w, ...rest } = record;
        copies.put({ ...rest, error: error.toJSON() });
      }
    });
  } catch {
    // The store itself is failing; the caller still gets the first error.
  }
}

/**
 * Remembers why a turn has no copy (link expired, no permission, not media) without touching
 * any stored bytes; a complete copy, or one being saved here, is left as it is.
 */
export async function recordFailure(ctx: MediaContext, key: string, meta: CopyMeta, error: CopyError): Promise<void> {
  // A save running here reports its own outcome.
  if (ctx.writing.has(key)) return;
  const db = await ctx.db();
  await inTransaction(db, [COPIES], 'readwrite', async (tx) => {
    const copies = tx.objectStore(COPIES);
    const record = await getCopy(copies, key);
    if (record?.complete) return;
    const now = ctx.now();
    copies.put(
      record
        ? { ...record, error }
        : {
            key,
            turnId: meta.turnId,
            threadId: meta.threadId,
            kind: meta.kind,
            mime: meta.mime ?? 'application/octet-stream',
            stored: 0,
            chunks: 0,
            complete: false,
            createdAt: now,
            lastUsedAt: now,
            updatedAt: now,
            error,
          },
    );
  });
}
