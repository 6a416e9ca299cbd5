import { browser } from 'wxt/browser';
import { INDEX_KEY, threadKey } from './storage-keys';
import { t as words } from '../i18n';
import { indexEntryOf, sameIndexEntry, type IndexEntry } from './records';
import type { Thread } from './model';
import { loadIndex, newestFirst, readThread, readThreads, STORAGE_PROBLEM_KEY, type ReadResult, type StorageProblem } from './store-read';

export * from './store-read';

const isQuotaError = (err: unknown) =>
  /quota|QUOTA_BYTES|exceeded|no space|disk full|storage is full/i.test(err instanceof Error ? err.message : String(err));

/** A sentence for the user about a failed write (never the raw exception alone). */
export function storageProblemMessage(err: unknown): string {
  if (isQuotaError(err)) return words('storageFull');
  const detail = (err instanceof Error ? err.message : String(err)).slice(0, 200);
  return words('storageFailed', { detail });
}

/** Thrown by a strict put: nothing was stored, and the writer's memory was rolled back. */
export class StorageWriteError extends Error {
  constructor(readonly reason: unknown) {
    super(storageProblemMessage(reason));
    this.name = 'StorageWriteError';
  }
}

/**
 * Thrown by every write while the history is not open for writing: it could not be read at
 * start-up (writing then would replace the index with one that lacks every older thread), or it
 * was saved by a newer version of the extension (whose format this one must not touch).
 */
export class HistoryUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryUnavailableError';
  }
}

type WriterState = { kind: 'unloaded' } | { kind: 'ready' } | { kind: 'failed'; detail: string } | { kind: 'readonly' };

/** Threads per storage call when many are stored at once (an import): bounded calls, few of them. */
const PUT_MANY_BATCH = 100;

/** Minimum gap between two durable writes of one thread while it streams. */
export const WRITE_INTERVAL_MS = 200;
/** At most this many durable writes of one thread in any rolling second, phase changes included. */
export const MAX_WRITES_PER_SECOND = 5;
/** After a failed write, retry after this long, doubling up to the maximum. */
export const WRITE_RETRY_MIN_MS = 2_000;
export const WRITE_RETRY_MAX_MS = 60_000;

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
  /** Callers of a delayed phase-change write, resolved when the write that carries it settles. */
  private readonly waiters = new Map<string, (() => void)[]>();
  /** When each thread was written in the last second (the rolling cap). */
  private readonly recent = new Map<string, number[]>();
  /** Durable writes issued, for the benchmark and tests. */
  writes = 0;
  onWriteError: (err: unknown, threadId: string) => void = () => {};
  /** Threads whose newest state failed to store, with the delay before their next retry. */
  private readonly failing = new Map<string, number>();
  private problemShown = false;
  /** The write of each thread currently in flight. */
  private readonly inflight = new Map<string, Promise<void>>();
  /**
   * Threads deleted while this worker runs. A write retried after a failure, a read that was in
   * flight during the delete, or a job still finishing must never store one of them again.
   */
  private readonly removed = new Set<string>();

  constructor(
    private readonly set: SetFn = (items) => browser.storage.local.set(items),
    private readonly now: () => number = Date.now,
  ) {}

  private state: WriterState = { kind: 'unloaded' };

  /**
   * Reads the index; nothing can be written before this succeeded. A missing or damaged index is
   * rebuilt from the `thread:*` records (never read as empty: the next write would store that).
   * `readOnly`: the history belongs to a newer version; it is read, never written.
   */
  async load(opts: { readOnly?: boolean } = {}): Promise<void> {
    try {
      const { index, rebuilt, stored } = await loadIndex();
      this.index = index;
      if (opts.readOnly) {
        this.state = { kind: 'readonly' };
        return;
      }
      this.state = { kind: 'ready' };
      // Best effort: if this write fails, the next write that changes a summary stores it.
      if (rebuilt && (stored !== undefined || index.length)) await this.set({ [INDEX_KEY]: index }).catch(() => {});
    } catch (err) {
      this.refuseWrites(err);
      throw err;
    }
  }

  /** Start-up failed before the index could be read (a migration): every write is refused. */
  refuseWrites(err: unknown): void {
    this.state = { kind: 'failed', detail: (err instanceof Error ? err.message : String(err)).slice(0, 200) };
  }

  /** True once the history was read and may be written. */
  get writable(): boolean {
    return this.state.kind === 'ready';
  }

  /** Why nothing may be written now, or undefined when writes are allowed. */
  private refusal(): HistoryUnavailableError | undefined {
    const s = this.state;
    if (s.kind === 'ready') return undefined;
    if (s.kind === 'readonly') return new HistoryUnavailableError(words('historyNewer'));
    return new HistoryUnavailableError(words('historyUnavailable', { detail: s.kind === 'failed' ? s.detail : words('historyNotRead') }));
  }

  entries(): readonly IndexEntry[] {
    return this.index;
  }

  async all(): Promise<ReadResult<Thread[]>> {
    return readThreads(this.index.map((e) => e.id));
  }

  async get(id: string): Promise<Thread | undefined> {
    if (this.removed.has(id)) return undefined;
    const cached = this.latest.get(id);
    if (cached) return cached;
    const stored = await readThread(id);
    // Deleted while we read: what was read must not be kept (a later update would store it back).
    if (this.removed.has(id)) return undefined;
    // Another caller may have written while we read: theirs is newer.
    const now = this.latest.get(id);
    if (now) return now;
    if (stored) this.latest.set(id, stored);
    return stored;
  }

  /** Applies `fn` to the newest version of a thread and stores the result. */
  async update(id: string, fn: (t: Thread) => Thread, opts: { immediate?: boolean; strict?: boolean } = {}): Promise<Thread | undefined> {
    const base = await this.get(id);
    if (!base || this.removed.has(id)) return undefined;
    const next = fn(this.latest.get(id) ?? base);
    await this.put(next, opts);
    return next;
  }

  /**
   * Stores a thread. A failed write never rejects: the state stays in memory, is retried, and a
   * storage problem is reported — except with `strict`, used before a new job is started: then a
   * failed write rolls the memory back and rejects with a StorageWriteError, so no paid request
   * is ever sent for a turn the user cannot see.
   */
  put(thread: Thread, opts: { immediate?: boolean; strict?: boolean; revive?: boolean } = {}): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    // A deleted thread comes back only when the user asks for it (undo, import): never through
    // the writes of a job that was still finishing.
    if (opts.revive) this.removed.delete(thread.id);
    else if (this.removed.has(thread.id)) return Promise.resolve();
    if (opts.strict) return this.putStrict(thread);
    const id = thread.id;
    this.latest.set(id, thread);
    this.pending.set(id, thread);
    // A phase change goes out at once unless this thread already had its 5 writes in the last
    // second; then it waits for the next slot (≤ 200 ms) and carries whatever came meanwhile.
    const slot = this.slotDelay(id);
    if (opts.immediate && slot === 0 && !this.failing.has(id)) return this.flushOne(id);
    // At most one coalesced write per thread is in flight (storing a multi-megabyte answer takes
    // a while); the newest state follows it.
    const since = this.now() - (this.lastWrite.get(id) ?? -Infinity);
    const delay = opts.immediate ? slot : Math.max(slot, WRITE_INTERVAL_MS - since);
    if (delay <= 0 && !this.inflight.has(id)) return this.flushOne(id);
    this.schedule(id, Math.max(0, delay));
    if (!opts.immediate) return Promise.resolve();
    // A phase change resolves once it is stored, like one written at once.
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  /** How long until this thread may be written again under the rolling per-second cap. */
  private slotDelay(id: string): number {
    const now = this.now();
    // Inclusive of the full second, plus a millisecond: Date.now() rounds, and a write must not
    // land a fraction of a millisecond inside another clock's one-second window.
    const recent = (this.recent.get(id) ?? []).filter((t) => now - t <= 1000);
    this.recent.set(id, recent);
    const oldest = recent[0];
    return oldest === undefined || recent.length < MAX_WRITES_PER_SECOND ? 0 : oldest + 1001 - now;
  }

  private noteWrite(id: string): void {
    this.writes++;
    this.lastWrite.set(id, this.now());
    const recent = this.recent.get(id) ?? [];
    recent.push(this.now());
    this.recent.set(id, recent);
  }

  private schedule(id: string, delay: number): void {
    if (!this.timers.has(id))
      this.timers.set(
        id,
        setTimeout(() => this.flushWhenFree(id), delay),
      );
  }

  private flushWhenFree(id: string): void {
    this.timers.delete(id);
    const busy = this.inflight.get(id);
    // A phase change may have taken the slot this timer was waiting for: check again.
    const slot = this.slotDelay(id);
    if (busy) void busy.then(() => this.pending.has(id) && this.schedule(id, this.slotDelay(id)));
    else if (slot > 0) this.schedule(id, slot);
    else void this.flushOne(id);
  }

  private async putStrict(thread: Thread): Promise<void> {
    const id = thread.id;
    const before = { latest: this.latest.get(id), entry: this.index.find((e) => e.id === id) };
    this.clearTimer(id);
    const items: Record<string, unknown> = { [threadKey(id)]: thread };
    // The index is updated before the await: several threads created at once must all land in it.
    const index = this.indexWith(indexEntryOf(thread));
    if (index !== this.index) items[INDEX_KEY] = this.index = index;
    this.latest.set(id, thread);
    this.noteWrite(id);
    try {
      await this.set(items);
    } catch (err) {
      if (before.latest) this.latest.set(id, before.latest);
      else this.latest.delete(id);
      const { entry } = before;
      this.index = entry ? this.index.map((e) => (e.id === id ? entry : e)) : this.index.filter((e) => e.id !== id);
      this.onWriteError(err, id);
      throw new StorageWriteError(err);
    }
    this.pending.delete(id);
    this.succeeded(id);
  }

  /**
   * Stores many threads at once (an import): their records in batches, then the index once — not
   * one index rewrite per thread. All or nothing as far as storage allows: on a failure the
   * records already written are put back as they were and a StorageWriteError is thrown.
   */
  async putMany(threads: readonly Thread[]): Promise<void> {
    const refused = this.refusal();
    if (refused) throw refused;
    const first = threads[0];
    if (!first) return;
    const before = new Map(threads.map((t) => [t.id, this.latest.get(t.id)]));
    const listed = new Map(this.index.map((e) => [e.id, e]));
    for (const t of threads) listed.set(t.id, indexEntryOf(t));
    const index = [...listed.values()].sort(newestFirst);
    const previousIndex = this.index;
    const written: Thread[] = [];
    try {
      for (let i = 0; i < threads.length; i += PUT_MANY_BATCH) {
        const batch = threads.slice(i, i + PUT_MANY_BATCH);
        await this.set(Object.fromEntries(batch.map((t) => [threadKey(t.id), t])));
        written.push(...batch);
      }
      // Set before the await: writes of running jobs meanwhile build on this index.
      this.index = index;
      await this.set({ [INDEX_KEY]: index });
    } catch (err) {
      if (this.index === index) this.index = previousIndex;
      const restore: Record<string, unknown> = {};
      const gone: string[] = [];
      for (const t of written) {
        const was = before.get(t.id);
        if (was) restore[threadKey(t.id)] = was;
        else gone.push(threadKey(t.id));
      }
      await Promise.all([
        Object.keys(restore).length ? this.set(restore) : undefined,
        gone.length ? browser.storage.local.remove(gone) : undefined,
      ]).catch(() => {});
      this.onWriteError(err, first.id);
      throw new StorageWriteError(err);
    }
    for (const t of threads) {
      this.removed.delete(t.id);
      this.latest.set(t.id, t);
      this.pending.delete(t.id);
    }
  }

  /** The index with this summary, or the same array when nothing changed. */
  private indexWith(entry: IndexEntry): IndexEntry[] {
    const at = this.index.findIndex((e) => e.id === entry.id);
    if (at === -1) {
      // Newest first by creation, also for threads that arrive out of order (imports).
      const before = this.index.findIndex((e) => e.createdAt <= entry.createdAt);
      return before === -1 ? [...this.index, entry] : [...this.index.slice(0, before), entry, ...this.index.slice(before)];
    }
    if (sameIndexEntry(this.index[at], entry)) return this.index;
    return this.index.map((e, i) => (i === at ? entry : e));
  }

  private failed(id: string, err: unknown): void {
    if (this.removed.has(id)) return;
    const delay = Math.min(WRITE_RETRY_MAX_MS, (this.failing.get(id) ?? WRITE_RETRY_MIN_MS / 2) * 2);
    this.failing.set(id, delay);
    if (!this.timers.has(id))
      this.timers.set(
        id,
        setTimeout(() => void this.flushOne(id), delay),
      );
    this.onWriteError(err, id);
    // Best effort: a tiny record often fits where a big thread did not.
    const problem: StorageProblem = { message: storageProblemMessage(err), at: this.now(), threadIds: [...this.failing.keys()] };
    this.problemShown = true;
    void this.set({ [STORAGE_PROBLEM_KEY]: problem }).catch(() => {});
  }

  private succeeded(id: string): void {
    if (!this.failing.delete(id) || this.failing.size || !this.problemShown) return;
    this.problemShown = false;
    void Promise.resolve()
      .then(() => browser.storage.local.remove(STORAGE_PROBLEM_KEY))
      .catch(() => {});
  }

  async remove(id: string): Promise<void> {
    const refused = this.refusal();
    if (refused) throw refused;
    this.removed.add(id);
    this.clearTimer(id);
    this.pending.delete(id);
    this.latest.delete(id);
    this.failing.delete(id);
    this.recent.delete(id);
    this.waiters.get(id)?.forEach((resolve) => resolve());
    this.waiters.delete(id);
    this.index = this.index.filter((e) => e.id !== id);
    // The index first: a worker stopped between the two writes leaves an unlisted record (never
    // shown), not a listed thread that has no record.
    await this.set({ [INDEX_KEY]: this.index });
    await browser.storage.local.remove(threadKey(id));
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
    const waiting = this.waiters.get(id);
    this.waiters.delete(id);
    const items: Record<string, unknown> = { [threadKey(id)]: thread };
    const index = this.indexWith(indexEntryOf(thread));
    if (index !== this.index) items[INDEX_KEY] = this.index = index;
    this.noteWrite(id);
    const write = this.set(items);
    const settled = write.then(
      () => {},
      () => {},
    );
    this.inflight.set(id, settled);
    try {
      await write;
    } catch (err) {
      // Keep the newest state queued so a retry (or the next write) stores it once there is room.
      if (!this.pending.has(id) && !this.removed.has(id)) this.pending.set(id, thread);
      this.failed(id, err);
      return;
    } finally {
      if (this.inflight.get(id) === settled) this.inflight.delete(id);
      waiting?.forEach((resolve) => resolve());
    }
    this.succeeded(id);
  }
}
