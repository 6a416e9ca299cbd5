import { browser } from 'wxt/browser';
import { INDEX_KEY, isThreadKey, threadIdOf, threadKey } from './storage-keys';
import { indexEntryOf, isIndexEntry, isThread, type IndexEntry } from './records';
import { isLiveProgress, LIVE_PREFIX, type LiveProgress } from '../runner/live-progress';
import type { Thread } from './model';

/*
 * The read side of the thread store, shared by the pages and the background's writer. Pages
 * render from these and follow changes; they never write threads themselves.
 */

export const newestFirst = (a: { createdAt: number }, b: { createdAt: number }) => b.createdAt - a.createdAt;

/** Records that failed their shape check: reported, never deleted (the user may still want them). */
export interface ReadResult<T> {
  value: T;
  skipped: string[];
}

export async function readIndex(): Promise<IndexEntry[]> {
  return (await loadIndex()).index;
}

/**
 * The stored index, or — when it is missing or damaged — one rebuilt from the `thread:*` records
 * themselves (never an empty list standing in for a history that is there).
 */
export async function loadIndex(): Promise<{ index: IndexEntry[]; rebuilt: boolean; stored: unknown }> {
  const stored = (await browser.storage.local.get(INDEX_KEY))[INDEX_KEY];
  if (Array.isArray(stored) && stored.every(isIndexEntry)) return { index: stored, rebuilt: false, stored };
  const all = await browser.storage.local.get(null);
  const index: IndexEntry[] = [];
  for (const [key, value] of Object.entries(all)) if (isThreadKey(key) && isThread(value)) index.push(indexEntryOf(value));
  return { index: index.sort(newestFirst), rebuilt: true, stored };
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
  /** Progress read from a running answer, ahead of the thread's next durable write. */
  live?: LiveProgress[];
  /** Present when the storage problem marker changed: the new problem, or null once solved. */
  problem?: StorageProblem | null;
}

/**
 * Set by the writer when `storage.local` refuses a write (quota, disk): the background keeps the
 * newest state in memory and retries; pages show this message. Removed once writes succeed again.
 */
export const STORAGE_PROBLEM_KEY = 'meta:storage-problem';

export interface StorageProblem {
  message: string;
  at: number;
  /** Threads whose newest state is only in memory. */
  threadIds: string[];
}

export function isStorageProblem(x: unknown): x is StorageProblem {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Record<string, unknown>;
  return (
    typeof p.message === 'string' &&
    typeof p.at === 'number' &&
    Array.isArray(p.threadIds) &&
    p.threadIds.every((id) => typeof id === 'string')
  );
}

export async function readStorageProblem(): Promise<StorageProblem | undefined> {
  const raw = (await browser.storage.local.get(STORAGE_PROBLEM_KEY))[STORAGE_PROBLEM_KEY];
  return isStorageProblem(raw) ? raw : undefined;
}

/** Pages render from storage and follow it here; they never write threads themselves. */
export function watchStore(cb: (change: StoreChange) => void): () => void {
  const listener = (changes: Record<string, { newValue?: unknown }>, area: string) => {
    if (area === 'session') {
      const live = Object.entries(changes)
        .filter(([k]) => k.startsWith(LIVE_PREFIX))
        .map(([, c]) => c.newValue)
        .filter(isLiveProgress);
      if (live.length) cb({ threads: new Map(), live });
      return;
    }
    if (area !== 'local') return;
    const threads = new Map<string, Thread | undefined>();
    let index: IndexEntry[] | undefined;
    for (const [key, { newValue }] of Object.entries(changes)) {
      if (isThreadKey(key)) threads.set(threadIdOf(key), isThread(newValue) ? newValue : undefined);
      else if (key === INDEX_KEY) index = Array.isArray(newValue) ? newValue.filter(isIndexEntry) : [];
    }
    let problem: StorageProblem | null | undefined;
    if (STORAGE_PROBLEM_KEY in changes) {
      const value = changes[STORAGE_PROBLEM_KEY].newValue;
      problem = isStorageProblem(value) ? value : null;
    }
    if (threads.size || index || problem !== undefined) cb({ threads, ...(index && { index }), ...(problem !== undefined && { problem }) });
  };
  browser.storage.onChanged.addListener(listener);
  return () => browser.storage.onChanged.removeListener(listener);
}

/** The background's storage-problem sentence now and whenever it changes (undefined once solved). */
export function watchStorageProblem(cb: (message: string | undefined) => void): () => void {
  void readStorageProblem().then(
    (p) => cb(p?.message),
    () => {},
  );
  return watchStore((change) => {
    if (change.problem !== undefined) cb(change.problem?.message);
  });
}
