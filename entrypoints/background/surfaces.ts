import { browser } from 'wxt/browser';
import type { JobRunner } from '@/utils/job-runner';
import { LIMITS, loadSettings, readinessProblem } from '@/utils/settings';
import { STATUS_LABEL, type Thread, type Turn } from '@/utils/threads';

export const CONTEXT_MENU_ID = 'sora-threads-generate-selection';

export function registerContextMenu(): void {
  browser.contextMenus.removeAll().then(() =>
    browser.contextMenus.create({
      id: CONTEXT_MENU_ID,
      title: 'Generate video from selected text',
      contexts: ['selection'],
    }),
  );
}

type SidePanelApi = { open(opts: { windowId: number }): Promise<void> };
type SidebarApi = { open(): Promise<void> };

/** Chrome's side panel or Firefox's sidebar; must be called synchronously from a user gesture. */
export function openSidePanelOn(windowId: number | undefined): void {
  const b = browser as unknown as { sidePanel?: SidePanelApi; sidebarAction?: SidebarApi };
  if (b.sidePanel && windowId !== undefined) void b.sidePanel.open({ windowId }).catch(() => {});
  else if (b.sidebarAction) void b.sidebarAction.open().catch(() => {});
}

export async function startFromSelection(runner: JobRunner, selection: string): Promise<void> {
  const text = selection.trim();
  const settings = await loadSettings();
  const problem = !text
    ? 'Select some text first: it becomes the prompt.'
    : text.length > LIMITS.promptMax
      ? `The selection is too long (${text.length} characters; at most ${LIMITS.promptMax}).`
      : readinessProblem(settings);
  if (problem) return notify('Cannot generate video', problem);
  await runner.start(text, settings.model, 'context-menu');
}

export async function notifyFinished(thread: Thread, turn: Turn): Promise<void> {
  if (turn.status !== 'completed' && turn.status !== 'failed') return;
  const settings = await loadSettings();
  if (!settings.notifications) return;
  const message = turn.status === 'failed' ? turn.error?.message ?? 'The generation failed.' : thread.title;
  await notify(`${STATUS_LABEL[turn.status]}: ${thread.title}`, message);
}

async function notify(title: string, message: string): Promise<void> {
  try {
    await browser.notifications.create({
      type: 'basic',
      iconUrl: browser.runtime.getURL('/icon/128.png'),
      title: title.slice(0, 120),
      message: message.slice(0, 300),
    });
  } catch {
    // Notifications can be blocked by the OS or the user; the side panel still shows everything.
  }
}
