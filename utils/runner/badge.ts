import { browser } from 'wxt/browser';

/** The toolbar icon shows how many videos are generating, so closing every page loses nothing. */
export function showRunningOnBadge(running: number): void {
  const action = browser.action ?? (browser as unknown as { browserAction?: typeof browser.action }).browserAction;
  if (!action) return;
  void action.setBadgeText({ text: running ? String(running) : '' }).catch(() => {});
  if (running) void action.setBadgeBackgroundColor({ color: '#4f46e5' }).catch(() => {});
}
