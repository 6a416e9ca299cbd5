import { browser } from 'wxt/browser';
import type { JobRunner } from '@/utils/runner/runner';
import { LIMITS, loadSettings, readinessProblem } from '@/utils/settings/settings';
import { openSidePanel, requestFocus } from '@/utils/side-panel';
import type { Thread } from '@/utils/threads/model';
import { t } from '@/utils/i18n';
import { notify } from './notifications';
import { readPageImage } from './page-image';

export const CONTEXT_MENU_ID = 'sora-threads-generate-selection';
export const IMAGE_MENU_ID = 'sora-threads-generate-image';

/** (Re)creates the context-menu items, in the current language: call after `initI18n`. */
export function registerContextMenu(): Promise<void> {
  return browser.contextMenus
    .removeAll()
    .then(() => {
      browser.contextMenus.create({ id: CONTEXT_MENU_ID, title: t('menuFromSelection'), contexts: ['selection'] });
      browser.contextMenus.create({ id: IMAGE_MENU_ID, title: t('menuFromImage'), contexts: ['image'] });
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

/**
 * Starts a thread from an image of a web page, the image read by the worker (see readPageImage);
 * the prompt is the text selected with it, else a plain "bring it to life". Says why not in a
 * notification: nothing is sent when the image cannot be read.
 */
export async function startFromImage(runner: JobRunner, srcUrl: string | undefined, selection = ''): Promise<Thread | undefined> {
  const settings = await loadSettings();
  const ready = readinessProblem(settings);
  if (ready) {
    await notify('image', t('cannotGenerate'), ready);
    return undefined;
  }
  const text = selection.replace(/\s+/g, ' ').trim();
  try {
    const image = await readPageImage(srcUrl);
    const prompt = text && text.length <= LIMITS.promptMax ? text : t('imagePromptDefault');
    const thread = await runner.start(prompt, settings.model, 'context-menu', { images: [image.dataUrl] });
    await requestFocus(thread.id);
    return thread;
  } catch (err) {
    await notify('image', t('cannotGenerate'), err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

/** What a context-menu click does, shared by the listener and the e2e hook. */
export function onContextMenuClick(
  runner: JobRunner,
  ready: Promise<unknown>,
  info: { menuItemId: string | number; selectionText?: string; srcUrl?: string },
  tab: { windowId?: number } | undefined,
): Promise<Thread | undefined> {
  if (info.menuItemId !== CONTEXT_MENU_ID && info.menuItemId !== IMAGE_MENU_ID) return Promise.resolve(undefined);
  // Before any await: the side panel only opens inside the click's gesture.
  const panel = openSidePanel(tab?.windowId);
  return ready.then(async () => {
    const thread =
      info.menuItemId === IMAGE_MENU_ID
        ? await startFromImage(runner, info.srcUrl, info.selectionText)
        : await startFromSelection(runner, info.selectionText ?? '');
    if (thread && !(await panel)) {
      await notify(thread.id, t('videoStarted'), t('videoStartedText', { title: thread.title }));
    }
    return thread;
  });
}
