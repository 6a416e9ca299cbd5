import type { browser } from 'wxt/browser';
import type { Protocol, Reply } from '@/utils/messages';
import { DEFAULT_SETTINGS, type Settings } from '@/utils/settings-core';
import { INDEX_KEY, isThreadKey, SETTINGS_KEY, threadIdOf, threadKey } from '@/utils/storage-keys';
import { isIndexEntry, isThread, type IndexEntry } from '@/utils/thread-records';
import type { Thread } from '@/utils/threads';

/**
 * The pages' side of the extension: store readers, typed messages, settings and the focus
 * signal, on the browser's own promise-based API (Chrome MV3's `chrome`, Firefox's `browser`).
 * The pages skip webextension-polyfill and wxt's storage library this way, which keeps each of
 * them inside its size budget; the record checks are the same ones the background uses.
 */
export type Api = typeof browser;

export function api(): Api {
  const g = globalThis as unknown as { browser?: Api; chrome?: Api };
  return (g.browser?.runtime?.id ? g.browser : g.chrome)!;
}

export async function send<K extends keyof Protocol>(type: K, payload: Protocol[K]['req']): Promise<Protocol[K]['res']> {
  const reply = (await api().runtime.sendMessage({ type, ...payload })) as Reply<K> | undefined;
  if (!reply) throw new Error('The extension background did not answer. Reload the extension and try again.');
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}

export const newestFirst = (a: { createdAt: number }, b: { createdAt: number }) => b.createdAt - a.createdAt;

export async function readIndex(): Promise<IndexEntry[]> {
  const raw = (await api().storage.local.get(INDEX_KEY))[INDEX_KEY];
  return Array.isArray(raw) ? raw.filter(isIndexEntry) : [];
}

/** Records that fail their shape check are reported in `skipped`, never deleted. */
export async function readThreads(ids: readonly string[]): Promise<{ value: Thread[]; skipped: string[] }> {
  const value: Thread[] = [];
  const skipped: string[] = [];
  if (!ids.length) return { value, skipped };
  const got = await api().storage.local.get(ids.map(threadKey));
  for (const id of ids) {
    const rec = got[threadKey(id)];
    if (rec === undefined) continue;
    if (isThread(rec)) value.push(rec);
    else skipped.push(id);
  }
  return { value, skipped };
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
  api().storage.onChanged.addListener(listener);
  return () => api().storage.onChanged.removeListener(listener);
}

/**
 * The background's marker for writes that storage refused (quota, disk): its sentence for the
 * user, or undefined once saving works again. Same key as utils/store.ts (a unit test checks).
 */
export const STORAGE_PROBLEM_KEY = 'meta:storage-problem';

export function watchStorageProblem(cb: (message: string | undefined) => void): () => void {
  const read = (v: unknown) => {
    const m = v && typeof v === 'object' ? (v as { message?: unknown }).message : undefined;
    cb(typeof m === 'string' ? m : undefined);
  };
  const listener = (changes: Record<string, { newValue?: unknown }>, area: string) => {
    if (area === 'local' && changes[STORAGE_PROBLEM_KEY]) read(changes[STORAGE_PROBLEM_KEY].newValue);
  };
  api().storage.onChanged.addListener(listener);
  void api().storage.local.get(STORAGE_PROBLEM_KEY).then((got) => read(got[STORAGE_PROBLEM_KEY]), () => {});
  return () => api().storage.onChanged.removeListener(listener);
}

/** The stored settings over the defaults (the same record the background reads). */
export async function readSettings(): Promise<Settings> {
  const stored = (await api().storage.local.get(SETTINGS_KEY))[SETTINGS_KEY];
  return { ...DEFAULT_SETTINGS, ...(stored && typeof stored === 'object' ? (stored as Partial<Settings>) : {}) };
}

export function writeSettings(s: Settings): Promise<void> {
  return api().storage.local.set({ [SETTINGS_KEY]: s });
}

export function watchSettings(cb: () => void): () => void {
  const listener = (changes: Record<string, unknown>, area: string) => {
    if (area === 'local' && SETTINGS_KEY in changes) cb();
  };
  api().storage.onChanged.addListener(listener);
  return () => api().storage.onChanged.removeListener(listener);
}

/**
 * "Show this thread": `storage.session` key the side panel watches (the background writes it
 * for notifications and the context menu, the popup for its "Open side panel").
 */
export const FOCUS_KEY = 'focusThread';

export const focusIdOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { threadId?: unknown }).threadId === 'string' ? (v as { threadId: string }).threadId : undefined;

export function requestFocus(threadId: string): Promise<void> {
  return api().storage.session.set({ [FOCUS_KEY]: { threadId, at: Date.now() } });
}

/** Calls `cb` with the thread to show now (if one is waiting) and whenever one is asked for. */
export function watchFocus(cb: (threadId: string) => void): () => void {
  const session = api().storage.session;
  const take = (v: unknown) => {
    const id = focusIdOf(v);
    if (!id) return;
    cb(id);
    void session.remove(FOCUS_KEY).catch(() => {});
  };
  const listener = (changes: Record<string, { newValue?: unknown }>, area: string) => {
    if (area === 'session' && changes[FOCUS_KEY]) take(changes[FOCUS_KEY].newValue);
  };
  api().storage.onChanged.addListener(listener);
  void session.get(FOCUS_KEY).then((got) => take(got[FOCUS_KEY]), () => {});
  return () => api().storage.onChanged.removeListener(listener);
}

export type SidePanelApi = { open(opts: { windowId: number }): Promise<void> };
type SidebarApi = { open(): Promise<void> };

/**
 * Opens the side panel (Chrome) or sidebar (Firefox), else the panel page in a tab, showing
 * `threadId` when given. Call it synchronously inside the click: panels only open on a gesture.
 */
export function openSidePanel(windowId: number | undefined, threadId?: string): Promise<unknown> {
  const b = api() as unknown as { sidePanel?: SidePanelApi; sidebarAction?: SidebarApi };
  const url = api().runtime.getURL('/sidepanel.html') + (threadId ? `#thread=${encodeURIComponent(threadId)}` : '');
  const focus = threadId ? requestFocus(threadId).catch(() => {}) : Promise.resolve();
  const opened =
    b.sidePanel && windowId !== undefined ? b.sidePanel.open({ windowId }) : b.sidebarAction ? b.sidebarAction.open() : Promise.reject(new Error('no panel'));
  return Promise.all([focus, opened.catch(() => api().tabs.create({ url }))]);
}
