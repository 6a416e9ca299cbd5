import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { importInto } from '@/utils/threads/backup';
import { openSidePanel } from '@/utils/side-panel';
import { RECOVER_ALARM } from '@/utils/runner/keep-alive';
import { dispatch, isRequest, type Handlers } from '@/utils/messages';
import { migrate } from '@/utils/threads/schema';
import { loadSettings, plainHttpProblem, readinessProblem, watchSettings } from '@/utils/settings/settings';
import { currentLang, initI18n, pickLang, t } from '@/utils/i18n';
import { ThreadWriter } from '@/utils/threads/store';
import { renamed, restored, titleText } from '@/utils/threads/edits';
import { testConnection } from '@/utils/relay/test-connection';
import { onContextMenuClick, registerContextMenu } from './context-menu';
import { createEngine } from './engine';
import { onNotificationClick } from './notifications';

const OPEN_PANEL_COMMAND = 'open-side-panel';

/** A duration or size from a page: a short plain token, or nothing (the relay's default). */
const jobValue = (v: unknown): string | undefined => (typeof v === 'string' && /^[\w.-]{1,20}$/.test(v) ? v : undefined);

/** Reference images from a page: a list (each one is checked when it is stored), or none. */
const imageList = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);

/** Replaced at build time (wxt.config.ts): false in store packages. */
declare const __SORA_TEST_HOOKS__: boolean;

export default defineBackground({
  // A classic worker is built on its own as one file: nothing is shared with (and split across
  // chunks for) the pages, which keeps it smaller and its start-up to a single script.
  main() {
    // Words for notifications, the context menu and errors sent to pages: in the language set in
    // Options (or the browser's); when Options changes it, reloaded and the menu re-created.
    let wordsLoaded = false;
    const loadWords = async (): Promise<boolean> => {
      const { language } = await loadSettings();
      if (wordsLoaded && pickLang(language) === currentLang()) return false;
      await initI18n(language);
      wordsLoaded = true;
      return true;
    };
    const words = loadWords().catch(() => false);
    let wordsQueue = words;
    watchSettings(() => {
      wordsQueue = wordsQueue
        .then(loadWords)
        .then((changed) => changed && registerContextMenu().then(() => true))
        .catch(() => false);
    });

    const writer = new ThreadWriter();
    // A failed write (quota) keeps the state in memory and retries; the writer records the problem
    // under STORAGE_PROBLEM_KEY for the pages. Never the thread's content in the log.
    writer.onWriteError = (err) =>
      console.warn('Sora Threads: saving failed, kept in memory and retried:', err instanceof Error ? err.name : 'error');
    const { runner, wakeAlarm, resumeCopies } = createEngine(writer);
    // Storage must be migrated and the index loaded before any handler touches threads; every
    // listener below is registered synchronously, then waits on this. If either fails, the writer
    // refuses every write (a write would store an index without the older threads) and the next
    // event tries again; a history from a newer version is read and never written.
    const startUp = async (): Promise<void> => {
      const schema = await migrate().catch((err: unknown) => {
        writer.refuseWrites(err);
        throw err;
      });
      await writer.load({ readOnly: schema.newer });
      if (!writer.writable) return;
      // Recovery words what it finds (interrupted jobs): in the user's language, not as keys.
      await words;
      await runner.recover();
      await wakeAlarm.set(runner.runningCount > 0);
      void resumeCopies().catch(() => {});
    };
    const attempt = (): Promise<boolean> =>
      Promise.all([words, startUp()]).then(
        () => true,
        (err: unknown) => (console.error('Sora Threads: start-up failed', err), false),
      );
    let started = attempt();
    const ready = async (): Promise<boolean> => {
      const was = started;
      if (await was) return true;
      // One new attempt however many events are waiting.
      if (started === was) started = attempt();
      return started;
    };

    // Every request that sends the key checks, here too, that it may go where the settings say
    // (pages check first; this is the one place no page can get around).
    const keySafe = async () => {
      const settings = await loadSettings();
      const problem = readinessProblem(settings);
      if (problem) throw new Error(problem);
      return settings;
    };

    const handlers: Handlers = {
      generate: async ({ prompt, model, origin, seconds, size, images }) => {
        const settings = await keySafe();
        const thread = await runner.start(prompt, model || settings.model, origin, {
          seconds: jobValue(seconds),
          size: jobValue(size),
          images: imageList(images),
        });
        return { threadId: thread.id, turnId: thread.turns[0].id };
      },
      modify: async ({ threadId, prompt, images }) => (
        await keySafe(),
        { turnId: (await runner.modify(threadId, prompt, { images: imageList(images) })).id }
      ),
      cancel: async ({ threadId, turnId }) => (await runner.cancel(threadId, turnId), null),
      branch: async ({ threadId, turnId, prompt }) => (await keySafe(), { threadId: (await runner.branch(threadId, turnId, prompt)).id }),
      retry: async ({ threadId, turnId }) => (await keySafe(), runner.retry(threadId, turnId)),
      followAgain: async ({ threadId, turnId }) => (await runner.followAgain(threadId, turnId), null),
      deleteThread: async ({ threadId }) => (await runner.remove(threadId), null),
      restoreThread: async ({ thread }) => {
        const back = restored(thread, Date.now());
        if (await writer.get(back.id)) throw new Error(t('stillExists'));
        await writer.put(back, { immediate: true, revive: true });
        runner.pump();
        return null;
      },
      renameThread: async ({ threadId, title }) => {
        const text = titleText(title);
        if (!(await writer.update(threadId, (x) => renamed(x, text, Date.now()), { immediate: true }))) throw new Error(t('threadGone'));
        return null;
      },
      importThreads: ({ threads }) => importInto(writer, threads),
      testConnection: async ({ baseUrl, apiKey, plainHttpOrigin }) => {
        const problem = plainHttpProblem({ baseUrl, plainHttpOrigin: plainHttpOrigin ?? '' });
        if (problem) throw new Error(problem);
        return testConnection(baseUrl, apiKey);
      },
    };

    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the polyfill answers with the promise a listener returns; undefined leaves the message to others
    browser.runtime.onMessage.addListener((msg: unknown, sender) => {
      // Only our own pages may start paid jobs.
      if (sender.id !== browser.runtime.id || !isRequest(msg)) return undefined;
      return ready().then(() => dispatch(handlers, msg));
    });

    browser.runtime.onInstalled.addListener(() => void ready().then(registerContextMenu));
    // The browser's language may have changed since the last start: the menu follows it.
    browser.runtime.onStartup.addListener(() => void ready().then(registerContextMenu));

    browser.contextMenus.onClicked.addListener((info, tab) => void onContextMenuClick(runner, ready(), info, tab));

    browser.notifications.onClicked.addListener(onNotificationClick);

    browser.commands.onCommand.addListener((command, tab) => {
      if (command === OPEN_PANEL_COMMAND) void openSidePanel(tab?.windowId, undefined, { fallbackTab: true });
    });

    // The e2e suite drives the context menu the way the browser does, through the same function
    // the listener calls; only code running inside this worker can reach it, and store packages
    // are built without it (see withTestHooks in wxt.config.ts).
    if (__SORA_TEST_HOOKS__) {
      (globalThis as { soraThreads?: unknown }).soraThreads = {
        contextMenuClick: (info: { menuItemId: string; selectionText?: string; srcUrl?: string }, tab?: { windowId?: number }) =>
          onContextMenuClick(runner, ready(), info, tab).then((t) => t?.id),
      };
    }

    // Wakes a worker Chrome stopped mid-job: start-up recovery runs (above), and every tick makes
    // sure each unfinished turn is being streamed or followed on its task source.
    browser.alarms.onAlarm.addListener((alarm) => {
      if (alarm.name !== RECOVER_ALARM) return;
      void ready()
        .then(async (ok) => {
          if (!ok || !writer.writable) return;
          await runner.recover();
          await wakeAlarm.set(runner.runningCount > 0);
        })
        .catch(() => {});
    });
  },
});
