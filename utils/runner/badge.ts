import { browser } from 'wxt/browser';

/** The toolbar icon shows how many videos are generating, so closing every page loses nothing. */
export function showRunningOnBadge(running: number): void {
  // Browsers without MV3's `action` have only `browserAction`.
  const api = browser as unknown as { action?: typeof browser.action; browserAction?: typeof browser.action };
  const target = api.action ?? api.browserAction;
  if (!target) return;
  void target.setBadgeText({ text: running ? String(running) : '' }).catch(() => {});
  if (running) void target.setBadgeBackgroundColor({ color: '#4f46e5' }).catch(() => {});
}
