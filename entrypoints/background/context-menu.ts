import { browser } from 'wxt/browser';
import type { JobRunner } from '@/utils/runner/runner';
import { LIMITS, loadSettings, readinessProblem } from '@/utils/settings/settings';
import { openSidePanel, requestFocus } from '@/utils/side-panel';
import type { Thread } from '@/utils/threads/model';
import { t } from '@/utils/i18n';
import { notify } from './notifications';

export const CONTEXT_MENU_ID = 'sora-threads-generate-selection';

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
