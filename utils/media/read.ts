import type { MediaContext } from './context';
import { MediaStoreError } from './errors';
import { inTransaction } from './idb';
import { BY_THREAD, BY_TURN, CHUNKS, COPIES, getChunk, getCopies, getCopy } from './schema';
import { COPY_KINDS, type ChunkRecord, type CopyKind, type CopyRecord, type KindUsage, type MediaUsage } from './types';

/** Reading copies back. Records are small; only readBlob touches chunks, and then only as Blob handles. */

export async function getRecord(ctx: MediaContext, key: string): Promise<CopyRecord | undefined> {
  const db = await ctx.db();
  return inTransaction(db, [COPIES], 'readonly', (tx) => getCopy(tx.objectStore(COPIES), key));
}

/**
 * The copy's bytes as one Blob of its chunk Blobs, typed with the copy's mime: building it
 * copies no bytes into JS memory, so a page can play or download a large video from it.
 * Undefined when there is no complete copy (or no bytes at all, with `partial`).
 */
export async function readBlob(ctx: MediaContext, key: string, options: { partial?: boolean } = {}): Promise<Blob | undefined> {
  const db = await ctx.db();
  const found = await inTransaction(db, [COPIES, CHUNKS], 'readonly', async (tx) => {
    const record = await getCopy(tx.objectStore(COPIES), key);
    if (!record || (!record.complete && !(options.partial && record.stored > 0))) return undefined;
    const chunks = tx.objectStore(CHUNKS);
    const gets: Promise<ChunkRecord | undefined>[] = [];
    for (let index = 0; index < record.chunks; index++) gets.push(getChunk(chunks, key, index));
    return { record, parts: await Promise.all(gets) };
  });
  if (!found) return undefined;
  const { record, parts } = found;
  const bytes: (Blob | ArrayBuffer)[] = [];
  let total = 0;
  for (const part of parts) {
    if (!part) throw new MediaStoreError('corrupt', `copy ${key} is missing a chunk`);
    bytes.push(part.bytes);
    total += part.bytes instanceof Blob ? part.bytes.size : part.bytes.byteLength;
  }
  if (total !== record.stored) throw new MediaStoreError('corrupt', `copy ${key} holds ${total} bytes, its record says ${record.stored}`);
  return new Blob(bytes, { type: record.mime });
}

function byKey(a: CopyRecord, b: CopyRecord): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

async function listBy(ctx: MediaContext, index: string, value: string): Promise<CopyRecord[]> {
  const db = await ctx.db();
  const records = await inTransaction(db, [COPIES], 'readonly', (tx) => getCopies(tx.objectStore(COPIES).index(index), value));
  return records.sort(byKey);
}

/** Every copy of a thread (complete, partial, or only a remembered failure). */
export function listByThread(ctx: MediaContext, threadId: string): Promise<CopyRecord[]> {
  return listBy(ctx, BY_THREAD, threadId);
}

export function listByTurn(ctx: MediaContext, turnId: string): Promise<CopyRecord[]> {
  return listBy(ctx, BY_TURN, turnId);
}

/** Every record, without chunks. */
export async function listAll(ctx: MediaContext): Promise<CopyRecord[]> {
  const db = await ctx.db();
  const records = await inTransaction(db, [COPIES], 'readonly', (tx) => getCopies(tx.objectStore(COPIES)));
  return records.sort(byKey);
}

/** Space taken, added up from the records' `stored` (kept exact by each chunk's transaction). */
export function usageOf(records: Iterable<CopyRecord>): MediaUsage {
  const zero = (): KindUsage => ({ bytes: 0, count: 0 });
  const byKind = Object.fromEntries(COPY_KINDS.map((kind) => [kind, zero()])) as Record<CopyKind, KindUsage>;
  const usage: MediaUsage = { bytes: 0, count: 0, byKind, partial: zero() };
  for (const record of records) {
    if (record.stored <= 0) continue;
    usage.bytes += record.stored;
    usage.count += 1;
    const kind = byKind[record.kind];
    kind.bytes += record.stored;
    kind.count += 1;
    if (!record.complete) {
      usage.partial.bytes += record.stored;
      usage.partial.count += 1;
    }
  }
  return usage;
}

export async function usage(ctx: MediaContext): Promise<MediaUsage> {
  return usageOf(await listAll(ctx));
}

/** Marks a copy as just used (played, downloaded, on screen), moving it to the back of eviction. */
export async function touch(ctx: MediaContext, key: string, at = ctx.now()): Promise<boolean> {
  const db = await ctx.db();
  return inTransaction(db, [COPIES], 'readwrite', async (tx) => {
    const copies = tx.objectStore(COPIES);
    const record = await getCopy(copies, key);
    if (!record) return false;
    if (at > record.lastUsedAt) copies.put({ ...record, lastUsedAt: at });
    return true;
  });
}
