import type { MediaContext } from './context';
import { inTransaction } from './idb';
import { usageOf } from './read';
import { CHUNKS, COPIES, getCopies, getCopy } from './schema';
import type { CopyRecord } from './types';

/**
 * Freeing space. These remove copies only: the history (storage.local) is another store that
 * this module never opens, so deleting a copy never loses a thread or a turn. A save running
 * while its copy is deleted stops at its next chunk ('deleted') and brings nothing back.
 */

function removeCopy(copies: IDBObjectStore, chunks: IDBObjectStore, record: CopyRecord): void {
  for (let index = 0; index < record.chunks; index++) chunks.delete([record.key, index]);
  copies.delete(record.key);
}

/** Removes these copies (unknown keys are ignored); returns the keys that were there. */
export async function deleteCopies(ctx: MediaContext, keys: Iterable<string>): Promise<string[]> {
  const wanted = [...new Set(keys)];
  if (wanted.length === 0) return [];
  const db = await ctx.db();
  return inTransaction(db, [COPIES, CHUNKS], 'readwrite', async (tx) => {
    const copies = tx.objectStore(COPIES);
    const chunks = tx.objectStore(CHUNKS);
    const records = await Promise.all(wanted.map((key) => getCopy(copies, key)));
    const removed: string[] = [];
    for (const record of records) {
      if (!record) continue;
      removeCopy(copies, chunks, record);
      removed.push(record.key);
    }
    return removed;
  });
}

/** Options' "Delete local copies": every copy, partial ones and remembered failures included. */
export async function deleteAll(ctx: MediaContext): Promise<{ bytes: number; count: number }> {
  const db = await ctx.db();
  return inTransaction(db, [COPIES, CHUNKS], 'readwrite', async (tx) => {
    const copies = tx.objectStore(COPIES);
    const { bytes, count } = usageOf(await getCopies(copies));
    copies.clear();
    tx.objectStore(CHUNKS).clear();
    return { bytes, count };
  });
}

function evictionOrder(a: CopyRecord, b: CopyRecord): number {
  return a.lastUsedAt - b.lastUsedAt || a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/**
 * Removes the least recently used copies until all copies take at most `capBytes`. Never
 * removed: reference images, keys in `keep` (on screen, playing, downloading), copies being saved here, and
 * partial copies another context may still be saving (a chunk within `staleWriteMs`).
 * Returns the removed records, oldest first; fewer than needed when the rest is protected.
 */
export async function evictToFit(ctx: MediaContext, capBytes: number, options: { keep?: ReadonlySet<string> } = {}): Promise<CopyRecord[]> {
  if (!(capBytes >= 0) || !Number.isFinite(capBytes)) throw new RangeError(`the cap must be a number of bytes, not ${capBytes}`);
  const keep = options.keep ?? new Set<string>();
  const db = await ctx.db();
  return inTransaction(db, [COPIES, CHUNKS], 'readwrite', async (tx) => {
    const copies = tx.objectStore(COPIES);
    const chunks = tx.objectStore(CHUNKS);
    const records = await getCopies(copies);
    let total = usageOf(records).bytes;
    if (total <= capBytes) return [];
    const now = ctx.now();
    const evictable = (record: CopyRecord) =>
      record.stored > 0 &&
      // A reference image is part of what its turn sent (the next turn sends it again), not a
      // copy of something the relay still has: the cap never removes one.
      record.kind !== 'image' &&
      !keep.has(record.key) &&
      !ctx.writing.has(record.key) &&
      (record.complete || record.writeId === undefined || now - record.updatedAt >= ctx.staleWriteMs);
    const removed: CopyRecord[] = [];
    for (const record of records.filter(evictable).sort(evictionOrder)) {
      if (total <= capBytes) break;
      removeCopy(copies, chunks, record);
      total -= record.stored;
      removed.push(record);
    }
    return removed;
  });
}
