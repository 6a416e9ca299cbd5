import { browser } from 'wxt/browser';
import { INDEX_KEY, isThreadKey, threadIdOf, threadKey } from './storage-keys';
import { indexEntryOf, isIndexEntry, isThread, sameIndexEntry, type IndexEntry } from './thread-records';
import type { Thread } from './threads';

/** Records that failed their shape check: reported, never deleted (the user may still want them). */
export interface ReadResult<T> {
  value: T;
  skipped: string[];
}

export async function readIndex(): Promise<IndexEntry[]> {
  const raw = (await browser.storage.local.get(INDEX_KEY))[INDEX_KEY];
  return Array.isArray(raw) ? raw.filter(isIndexEntry) : [];
}

export async function readThreads(ids: readonly string[]): Promise<ReadResult<Thread[]>> {
  if (!ids.length) return { value: [], skipped: [] };
  const got = await browser.storage.local.get(ids.map(threadKey));
  const value: Thread[] = [];
  const skipped: string[] = [];
  for (const id of ids) {
    const rec = got[threadKey(id)];
    if (rec === undefined) continue;
    if (isThread(rec)) value.push(rec);
    else skipped.push(id);
  }
  return { value, skipped };
}

export async function readThread(id: string): Promise<Thread | undefined> {
  return (await readThreads([id])).value[0];
}

export interface StoreChange {
  /** Changed threads; undefined means deleted (or unreadable). */
  threads: Map<string, Thread | undefined>;
  index?: IndexEntry[];
}

/** Pages render from storage and follow it here; they never write threads themselves. */
export function watchStore(cb: (change: StoreChange) => void): () => void {
  const listener = (changes: Record<string, { newValue?: unknown }>, area: string) => {
    if (area !== 'local') return;
    const threads = new Map<string, Thread | undefined>();
    let index: IndexEntry[] | undefined;
    for (const [key, { newValue }] of Object.entries(changes)) {
      if (isThreadKey(key)) threads.set(threadIdOf(key), isThread(newValue) ? newValue : undefined);
      else if (key === INDEX_KEY) index = Array.isArray(newValue) ? newValue.filter(isIndexEntry) : [];
    }
    if (threads.size || index) cb({ threads, ...(index && { index }) });
  };
  browser.storage.onChanged.addListener(listener);
  return () => browser.storage.onChanged.removeListener(listener);
}

/** Minimum gap between two durable writes of one thread while it streams (≤ 5 writes/s). */
export const WRITE_INTERVAL_MS = 200;

type SetFn = (items: Record<string, unknown>) => Promise<void>;

/**
 * The only writer of threads (lives in the background). Keeps the index in memory, writes a
 * thread and — only when its summary changed — the index in one `set`, so a progress tick is a
 * single small write. `put(…, {immediate: true})` is for phase changes, which must survive the
 * worker being stopped a moment later; anything else is coalesced to one write per interval.
 */
export class ThreadWriter {
  private index: IndexEntry[] = [];
  private readonly pending = new Map<string, Thread>();
  /** The newest version of every thread this worker touched: read-modify-write never races. */
  private readonly latest = new Map<string, Thread>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly lastWrite = new Map<string, number>();
  /** Durable writes issued, for the benchmark and tests. */
  writes = 0;
  onWriteError: (err: unknown) => void = () => {};

  constructor(
    private readonly set: SetFn = (items) => browser.storage.local.set(items),
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<void> {
    this.index = await readIndex();
  }

  entries(): readonly IndexEntry[] {
    return this.index;
  }

  async all(): Promise<ReadResult<Thread[]>> {
    return readThreads(this.index.map((e) => e.id));
  }

  async get(id: string): Promise<Thread | undefined> {
    const cached = this.latest.get(id);
    if (cached) return cached;
    const stored = await readThread(id);
    // Another caller may have written while we read: theirs is newer.
    const now = this.latest.get(id);
    if (now) return now;
    if (stored) this.latest.set(id, stored);
    return stored;
  }

  /** Applies `fn` to the newest version of a thread and stores the result. */
  async update(
    id: string,
    fn: (t: Thread) => Thread,
    opts: { immediate?: boolean } = {},
  ): Promise<Thread | undefined> {
    const base = await this.get(id);
    if (!base) return undefined;
    const next = fn(this.latest.get(id) ?? base);
    await this.put(next, opts);
    return next;
  }

  put(thread: Thread, opts: { immediate?: boolean } = {}): Promise<void> {
    this.latest.set(thread.id, thread);
    this.pending.set(thread.id, thread);
    const since = this.now() - (this.lastWrite.get(thread.id) ?? -Infinity);
    if (opts.immediate || since >= WRITE_INTERVAL_MS) return this.flushOne(thread.id);
    if (!this.timers.has(thread.id)) {
      this.timers.set(
        thread.id,
        setTimeout(() => void this.flushOne(thread.id), WRITE_INTERVAL_MS - since),
      );
    }
    return Promise.resolve();
  }

  async remove(id: string): Promise<void> {
    this.clearTimer(id);
    this.pending.delete(id);
    this.latest.delete(id);
    this.index = this.index.filter((e) => e.id !== id);
    await browser.storage.local.remove(threadKey(id));
    await this.set({ [INDEX_KEY]: this.index });
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((id) => this.flushOne(id)));
  }

  private clearTimer(id: string) {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }

  private async flushOne(id: string): Promise<void> {
    this.clearTimer(id);
    const thread = this.pending.get(id);
    if (!thread) return;
    this.pending.delete(id);
    this.lastWrite.set(id, this.now());
    const items: Record<string, unknown> = { [threadKey(id)]: thread };
    const entry = indexEntryOf(thread);
    const at = this.index.findIndex((e) => e.id === id);
    if (at === -1) {
      // Newest first by creation, also for threads that arrive out of order (imports).
      const before = this.index.findIndex((e) => e.createdAt <= entry.createdAt);
      this.index = before === -1 ? [...this.index, entry] : [...this.index.slice(0, before), entry, ...this.index.slice(before)];
      items[INDEX_KEY] = this.index;
    } else if (!sameIndexEntry(this.index[at], entry)) {
      this.index = this.index.map((e, i) => (i === at ? entry : e));
      items[INDEX_KEY] = this.index;
    }
    this.writes++;
    try {
      await this.set(items);
    } catch (err) {
      // Keep the newest state queued so the next write retries it (e.g. after quota frees up).
      if (!this.pending.has(id)) this.pending.set(id, thread);
      this.onWriteError(err);
    }
  }
}
