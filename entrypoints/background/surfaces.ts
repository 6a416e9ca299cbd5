import { browser } from 'wxt/browser';
import type { JobRunner } from '@/utils/runner/runner';
import { LIMITS, loadSettings, readinessProblem } from '@/utils/settings/settings';
import { openSidePanel, requestFocus } from '@/utils/side-panel';
import { statusLabel, type Thread, type Turn } from '@/utils/threads/model';
import { t } from '@/utils/i18n';

export const CONTEXT_MENU_ID = 'sora-threads-generate-selection';
export const OPEN_PANEL_COMMAND = 'open-side-panel';
const NOTIFICATION_PREFIX = 'thread:';

/** (Re)creates the context-menu item, in the current language: call after `initI18n`. */
export function registerContextMenu(): Promise<void> {
  return browser.contextMenus
    .removeAll()
    .then(() => {
      browser.contextMenus.create({
        id: CONTEXT_MENU_ID,
        title: t('menuFromSelection'),
        contexts: ['selection'],
      });
    })
    .catch(() => {});
}

/** Starts a thread from selected text; says why not in a notification (the page has no UI of ours). */
export async function startFromSelection(runner: JobRunner, selection: string): Promise<Thread | undefined> {
  const text = selection.replace(/\s+/g, ' ').trim();
  const settings = await loadSettings();
  const problem = !text
    ? t('selectFirst')
    : text.length > LIMITS.promptMax
      ? t('selectionTooLong', { n: text.length, max: LIMITS.promptMax })
      : readinessProblem(settings);
  if (problem) {
    await notify('selection', t('cannotGenerate'), problem);
    return undefined;
  }
  const thread = await runner.start(text, settings.model, 'context-menu');
  await requestFocus(thread.id);
  return thread;
}

/** What a context-menu click does, shared by the listener and the e2e hook. */
export function onContextMenuClick(
  runner: JobRunner,
  ready: Promise<unknown>,
  info: { menuItemId: string | number; selectionText?: string },
  tab: { windowId?: number } | undefined,
): Promise<Thread | undefined> {
  if (info.menuItemId !== CONTEXT_MENU_ID) return Promise.resolve(undefined);
  // Before any await: the side panel only opens inside the click's gesture.
  const panel = openSidePanel(tab?.windowId);
  return ready.then(async () => {
    const thread = await startFromSelection(runner, info.selectionText ?? '');
    if (thread && !(await panel)) {
      await notify(thread.id, t('videoStarted'), t('videoStartedText', { title: thread.title }));
    }
    return thread;
  });
}

export async function notifyFinished(thread: Thread, turn: Turn): Promise<void> {
  if (turn.status !== 'completed' && turn.status !== 'failed') return;
  const settings = await loadSettings();
  if (!settings.notifications) return;
  const message = turn.status === 'failed' ? (turn.error?.message ?? t('generationFailed')) : t('videoReady');
  await notify(thread.id, t('notifyTitle', { status: statusLabel(turn.status), title: thread.title }), message);
}

/** Chrome's "the current window" (windows.WINDOW_ID_CURRENT), which sidePanel.open accepts. */
const CURRENT_WINDOW = -2;

/** A notification click: open the side panel on that notification's thread. */
export function onNotificationClick(notificationId: string): void {
  if (notificationId.startsWith(NOTIFICATION_PREFIX)) {
    // Before any await: the panel only opens inside the click's gesture, so the window is named
    // as "the current one" rather than looked up first.
    void openSidePanel(CURRENT_WINDOW, notificationId.slice(NOTIFICATION_PREFIX.length), { fallbackTab: true });
  }
  void browser.notifications.clear(notificationId).catch(() => {});
}

async function notify(threadId: string, title: string, message: string): Promise<void> {
  try {
    await browser.notifications.create(`${NOTIFICATION_PREFIX}${threadId}`, {
      type: 'basic',
      iconUrl: browser.runtime.getURL('/icon/128.png'),
      title: title.slice(0, 120),
      message: message.slice(0, 300),
    });
  } catch {
    // Notifications can be blocked by the OS or the user; the side panel still shows everything.
  }
}
