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

/** Wakes a stopped worker so it can finish recovering and following jobs. */
export const RECOVER_ALARM = 'sora-threads-recover';
/** Chrome fires alarms at most every 30 s (packed extensions); that is the period used. */
export const RECOVER_PERIOD_MIN = 0.5;

type AlarmsApi = Pick<typeof browser.alarms, 'get' | 'create' | 'clear'>;

/**
 * A repeating alarm that exists exactly while jobs run. Alarms outlive the worker: if Chrome stops
 * it mid-job, the next tick starts it again and start-up recovery picks every job back up.
 */
export function createWakeAlarm(alarms: AlarmsApi = browser.alarms, name = RECOVER_ALARM) {
  let wanted: boolean | undefined;
  let chain: Promise<void> = Promise.resolve();
  return {
    set(active: boolean): Promise<void> {
      if (wanted === active) return chain;
      wanted = active;
      chain = chain
        .then(async () => {
          if (!active) await alarms.clear(name);
          // Re-creating an existing alarm would push its next tick back: only create a missing one.
          else if (!(await alarms.get(name)))
            await alarms.create(name, { delayInMinutes: RECOVER_PERIOD_MIN, periodInMinutes: RECOVER_PERIOD_MIN });
        })
        .catch(() => {});
      return chain;
    },
  };
}
