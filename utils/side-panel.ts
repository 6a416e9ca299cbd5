import { browser } from 'wxt/browser';

/**
 * "Show this thread": a storage.session key the side panel watches. The background writes it for
 * notifications and the context menu, the popup for its "Open side panel".
 */
export const FOCUS_KEY = 'focusThread';

export const focusIdOf = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as { threadId?: unknown }).threadId === 'string'
      ? (v as { threadId: string }).threadId
      : undefined;

export function requestFocus(threadId: string): Promise<void> {
  return browser.storage.session.set({ [FOCUS_KEY]: { threadId, at: Date.now() } }).catch(() => {});
}

/** Calls `cb` with the thread to show now (if one is waiting) and whenever one is asked for. */
export function watchFocus(cb: (threadId: string) => void): () => void {
  const session = browser.storage.session;
  const take = (v: unknown) => {
    const id = focusIdOf(v);
    if (!id) return;
    cb(id);
    void session.remove(FOCUS_KEY).catch(() => {});
  };
  const listener = (changes: Record<string, { newValue?: unknown }>, area: string) => {
    if (area === 'session' && changes[FOCUS_KEY]) take(changes[FOCUS_KEY].newValue);
  };
  browser.storage.onChanged.addListener(listener);
  void session.get(FOCUS_KEY).then(
    (got) => take(got[FOCUS_KEY]),
    () => {},
  );
  return () => browser.storage.onChanged.removeListener(listener);
}

type SidePanelApi = { open(opts: { windowId: number }): Promise<void> };
type SidebarApi = { open(): Promise<void> };

/**
 * Opens Chrome's side panel or Firefox's sidebar, showing `threadId` when given; resolves false
 * where the browser refused. Call it synchronously inside the user's gesture (click, command,
 * context menu): panels only open on one. With `fallbackTab`, a refusal opens the panel page in
 * a tab instead.
 */
export function openSidePanel(windowId: number | undefined, threadId?: string, opts: { fallbackTab?: boolean } = {}): Promise<boolean> {
  const b = browser as unknown as { sidePanel?: SidePanelApi; sidebarAction?: SidebarApi };
  const opened =
    b.sidePanel && windowId !== undefined
      ? b.sidePanel.open({ windowId })
      : b.sidebarAction
        ? b.sidebarAction.open()
        : Promise.reject(new Error('no side panel'));
  const focus = threadId ? requestFocus(threadId) : Promise.resolve();
  return Promise.all([focus, opened]).then(
    () => true,
    async () => {
      if (opts.fallbackTab) {
        const hash = threadId ? `#thread=${encodeURIComponent(threadId)}` : '';
        await browser.tabs.create({ url: browser.runtime.getURL(`/sidepanel.html${hash}`) }).catch(() => {});
      }
      return false;
    },
  );
}
