import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { importInto } from '@/utils/backup';
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
import {
  notifyFinished,
  onContextMenuClick,
  onNotificationClick,
  openSidePanelOn,
  OPEN_PANEL_COMMAND,
  registerContextMenu,
} from './surfaces';

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
      importThreads: ({ text }) => importInto(writer, text),
      testConnection: ({ baseUrl, apiKey }) => testConnection(baseUrl, apiKey),
    };

    browser.runtime.onMessage.addListener((msg: unknown, sender) => {
      // Only our own pages may start paid jobs.
      if (sender.id !== browser.runtime.id || !isRequest(msg)) return undefined;
      return ready.then(() => dispatch(handlers, msg));
    });

    browser.runtime.onInstalled.addListener(() => registerContextMenu());

    browser.contextMenus.onClicked.addListener((info, tab) => void onContextMenuClick(runner, ready, info, tab));

    browser.notifications.onClicked.addListener(onNotificationClick);

    browser.commands.onCommand.addListener((command, tab) => {
      if (command === OPEN_PANEL_COMMAND) void openSidePanelOn(tab?.windowId);
    });

    // The e2e suite drives the context menu the way the browser does, through the same function
    // the listener calls; only code running inside this worker can reach it.
    (globalThis as { soraThreads?: unknown }).soraThreads = {
      contextMenuClick: (info: { menuItemId: string; selectionText?: string }, tab?: { windowId?: number }) =>
        onContextMenuClick(runner, ready, info, tab).then((t) => t?.id),
    };

    browser.alarms.onAlarm.addListener(() => void ready.then(() => runner.pump()));
  },
});
