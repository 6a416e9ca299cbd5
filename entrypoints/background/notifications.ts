import { browser } from 'wxt/browser';
import { loadSettings } from '@/utils/settings/settings';
import { openSidePanel } from '@/utils/side-panel';
import { statusLabel, type Thread, type Turn } from '@/utils/threads/model';
import { t } from '@/utils/i18n';

const NOTIFICATION_PREFIX = 'thread:';

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

/** A notification that opens the thread's side panel when clicked. */
export async function notify(threadId: string, title: string, message: string): Promise<void> {
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
