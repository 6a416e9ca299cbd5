import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { showRunningOnBadge } from '@/utils/badge';
import { streamChat } from '@/utils/chat-stream';
import { JobRunner } from '@/utils/job-runner';
import { createKeepAlive } from '@/utils/keep-alive';
import { dispatch, isRequest, type Handlers } from '@/utils/messages';
import { migrate } from '@/utils/schema';
import { loadSettings } from '@/utils/settings';
import { ThreadWriter } from '@/utils/store';
import { parseTaskReport } from '@/utils/task-report';
import { testConnection } from '@/utils/relay-models';
import { notifyFinished, openSidePanelOn, registerContextMenu, startFromSelection, CONTEXT_MENU_ID } from './surfaces';

export default defineBackground({
  type: 'module',
  main() {
    const writer = new ThreadWriter();
    const keepAlive = createKeepAlive();
    const runner = new JobRunner({
      writer,
      settings: loadSettings,
      stream: streamChat,
      parse: parseTaskReport,
      onActivity: (n) => {
        keepAlive.set(n > 0);
        showRunningOnBadge(n);
      },
      onFinished: (thread, turn) => void notifyFinished(thread, turn),
    });
    // Storage must be migrated and the index loaded before any handler touches threads; every
    // listener below is registered synchronously, then waits on this.
    const ready = migrate()
      .then(() => writer.load())
      .then(() => runner.recover())
      .catch((err) => console.error('Sora Threads: start-up failed', err));

    const handlers: Handlers = {
      generate: async ({ prompt, model, origin }) => {
        const settings = await loadSettings();
        const thread = await runner.start(prompt, model || settings.model, origin);
        return { threadId: thread.id, turnId: thread.turns[0]!.id };
      },
      modify: async ({ threadId, prompt }) => ({ turnId: (await runner.modify(threadId, prompt)).id }),
      cancel: async ({ threadId, turnId }) => (await runner.cancel(threadId, turnId), null),
      branch: async ({ threadId, turnId, prompt }) => ({ threadId: (await runner.branch(threadId, turnId, prompt)).id }),
      retry: async ({ threadId, turnId }) => ({ turnId: (await runner.retry(threadId, turnId)).id }),
      deleteThread: async ({ threadId }) => (await runner.remove(threadId), null),
      testConnection: ({ baseUrl, apiKey }) => testConnection(baseUrl, apiKey),
    };

    browser.runtime.onMessage.addListener((msg: unknown, sender) => {
      // Only our own pages may start paid jobs.
      if (sender.id !== browser.runtime.id || !isRequest(msg)) return undefined;
      return ready.then(() => dispatch(handlers, msg));
    });

    browser.runtime.onInstalled.addListener(() => registerContextMenu());

    browser.contextMenus.onClicked.addListener((info, tab) => {
      if (info.menuItemId !== CONTEXT_MENU_ID) return;
      // Opening the side panel must happen inside the click's user gesture, before any await.
      openSidePanelOn(tab?.windowId);
      void ready.then(() => startFromSelection(runner, info.selectionText ?? ''));
    });

    browser.notifications.onClicked.addListener((notificationId) => {
      void browser.notifications.clear(notificationId);
      openSidePanelOn(undefined);
    });

    browser.alarms.onAlarm.addListener(() => void ready.then(() => runner.pump()));
  },
});
