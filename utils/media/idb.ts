/** One IndexedDB request as a promise. Awaiting it inside a transaction keeps the transaction alive. */
export function settle<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new DOMException('request failed', 'UnknownError'));
  });
}

/**
 * Runs `body` in one transaction and resolves once it has committed. `body` may await requests
 * of this transaction only (awaiting anything else lets it auto-commit half done). If `body`
 * throws, the transaction is aborted, so nothing it wrote lands. A refusal reported on the
 * transaction itself (Chrome reports quota at commit) rejects with the transaction's error.
 */
export async function inTransaction<T>(
  db: IDBDatabase,
  stores: string[],
  mode: IDBTransactionMode,
  body: (tx: IDBTransaction) => Promise<T>,
): Promise<T> {
  // Relaxed: a copy survives a browser crash either way; only an OS crash may lose the last chunk,
  // which the next save fetches again. Strict flushing made chunk writes several times slower.
  const tx = db.transaction(stores, mode, { durability: 'relaxed' });
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
  // Marked handled now: the transaction may abort while `body` still awaits, before we await `done`.
  done.catch(() => undefined);
  try {
    const value = await body(tx);
    await done;
    return value;
  } catch (err) {
    try {
      tx.abort();
    } catch {
      // already committed or aborted
    }
    await done.catch(() => undefined);
    throw err;
  }
}
