import { browser } from 'wxt/browser';

/**
 * Chrome stops an idle service worker after ~30 s, even mid-fetch. Any extension API call resets
 * that timer, so while jobs run we make a cheap one every 20 s (Chrome's documented pattern).
 */
export const KEEP_ALIVE_MS = 20_000;

export function createKeepAlive(ping: () => Promise<unknown> = () => browser.runtime.getPlatformInfo()) {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    set(active: boolean) {
      if (active && timer === undefined) timer = setInterval(() => void ping().catch(() => {}), KEEP_ALIVE_MS);
      else if (!active && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    get active() {
      return timer !== undefined;
    },
  };
}
