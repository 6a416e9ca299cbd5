import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { browser } from 'wxt/browser';
import { CONTEXT_MENU_ID, onContextMenuClick, startFromSelection } from '@/entrypoints/background/context-menu';
import { notifyFinished, onNotificationClick } from '@/entrypoints/background/notifications';
import type { JobRunner } from '@/utils/runner/runner';
import { FOCUS_KEY } from '@/utils/side-panel';
import { newThread, type Thread } from '@/utils/threads/model';

const CONFIGURED = { baseUrl: 'http://127.0.0.1:8787', apiKey: 'sk-test', model: 'sora-2-pro', notifications: true };

function fakeRunner() {
  const started: { prompt: string; model: string; origin: string }[] = [];
  const runner = {
    start: vi.fn((prompt: string, model: string, origin: 'context-menu') => {
      started.push({ prompt, model, origin });
      return Promise.resolve(newThread(prompt, model, origin));
    }),
  } as unknown as JobRunner;
  return { runner, started };
}

let notes: { id: string; title: string; message: string }[];
let sidePanelOpen: ReturnType<typeof vi.fn>;

beforeEach(async () => {
  fakeBrowser.reset();
  notes = [];
  vi.spyOn(browser.notifications, 'create').mockImplementation(((id: string, opts: { title: string; message: string }) => {
    notes.push({ id, title: opts.title, message: opts.message });
    return Promise.resolve(id);
  }) as never);
  sidePanelOpen = vi.fn(async () => {});
  (browser as unknown as { sidePanel: unknown }).sidePanel = { open: sidePanelOpen };
  await browser.storage.local.set({ settings: CONFIGURED });
});

describe('context menu', () => {
  it('starts a thread from the trimmed selection with the default model and focuses it', async () => {
    const { runner, started } = fakeRunner();
    const thread = await startFromSelection(runner, '  a fox\n\n in   snow ');
    expect(started).toEqual([{ prompt: 'a fox in snow', model: 'sora-2-pro', origin: 'context-menu' }]);
    expect((await browser.storage.session.get(FOCUS_KEY))[FOCUS_KEY]).toMatchObject({ threadId: thread!.id });
    expect(notes).toEqual([]);
  });

  it.each([
    ['an empty selection', '  \n ', /Select some text first/],
    ['an over-long selection', 'x'.repeat(4001), /too long \(4001 characters; at most 4000\)/],
  ])('refuses %s with a notification and starts nothing', async (_n, text, msg) => {
    const { runner, started } = fakeRunner();
    expect(await startFromSelection(runner, text)).toBeUndefined();
    expect(started).toEqual([]);
    expect(notes[0]?.message).toMatch(msg);
  });

  it('refuses when no relay is configured, saying what to do', async () => {
    await browser.storage.local.set({ settings: { ...CONFIGURED, apiKey: '' } });
    const { runner, started } = fakeRunner();
    await startFromSelection(runner, 'a cat');
    expect(started).toEqual([]);
    expect(notes[0]?.message).toMatch(/No API key configured/);
  });

  it('opens the side panel inside the click, before start-up work finishes', async () => {
    const { runner } = fakeRunner();
    let release!: () => void;
    const ready = new Promise<void>((r) => (release = r));
    const done = onContextMenuClick(runner, ready, { menuItemId: CONTEXT_MENU_ID, selectionText: 'a cat' }, { windowId: 7 });
    expect(sidePanelOpen).toHaveBeenCalledWith({ windowId: 7 });
    release();
    expect((await done)?.title).toBe('a cat');
  });

  it('ignores other menu items, and notifies when the panel could not open', async () => {
    const { runner, started } = fakeRunner();
    expect(await onContextMenuClick(runner, Promise.resolve(), { menuItemId: 'other', selectionText: 'x' }, undefined)).toBeUndefined();
    expect(started).toEqual([]);
    sidePanelOpen.mockRejectedValueOnce(new Error('no gesture'));
    const t = await onContextMenuClick(runner, Promise.resolve(), { menuItemId: CONTEXT_MENU_ID, selectionText: 'a cat' }, { windowId: 1 });
    expect(notes).toEqual([expect.objectContaining({ id: `thread:${t!.id}`, title: 'Video started' })]);
  });
});

describe('notifications', () => {
  const finished = (status: 'completed' | 'failed'): [Thread, Thread['turns'][number]] => {
    const t = newThread('a cow dancing', 'sora-2', 'popup');
    const turn = { ...t.turns[0], status, ...(status === 'failed' && { error: { kind: 'auth' as const, message: 'Invalid API key' } }) };
    return [t, turn];
  };

  it('tells when a video completes or fails, with the thread to open', async () => {
    const [t, ok] = finished('completed');
    await notifyFinished(t, ok);
    const [t2, bad] = finished('failed');
    await notifyFinished(t2, bad);
    expect(notes).toEqual([
      { id: `thread:${t.id}`, title: 'Completed: a cow dancing', message: expect.stringMatching(/ready/) as string },
      { id: `thread:${t2.id}`, title: 'Failed: a cow dancing', message: 'Invalid API key' },
    ]);
  });

  it('stays quiet when notifications are off', async () => {
    await browser.storage.local.set({ settings: { ...CONFIGURED, notifications: false } });
    const [t, ok] = finished('completed');
    await notifyFinished(t, ok);
    expect(notes).toEqual([]);
  });

  it('a click opens the side panel on that thread inside the click (before anything is awaited)', async () => {
    vi.spyOn(browser.windows, 'getLastFocused').mockResolvedValue({ id: 3 } as never);
    onNotificationClick('thread:thr_42');
    // Synchronously: an await first would lose the click's gesture, and the panel would not open.
    expect(sidePanelOpen).toHaveBeenCalledTimes(1);
    expect(sidePanelOpen).toHaveBeenCalledWith({ windowId: -2 }); // windows.WINDOW_ID_CURRENT
    await vi.waitFor(async () => expect((await browser.storage.session.get(FOCUS_KEY))[FOCUS_KEY]).toMatchObject({ threadId: 'thr_42' }));
  });

  it('falls back to a tab on the thread when the panel cannot open', async () => {
    vi.spyOn(browser.windows, 'getLastFocused').mockResolvedValue({ id: 3 } as never);
    sidePanelOpen.mockRejectedValueOnce(new Error('no gesture'));
    const create = vi.spyOn(browser.tabs, 'create').mockResolvedValue({} as never);
    onNotificationClick('thread:thr_42');
    await vi.waitFor(() => expect(create).toHaveBeenCalled());
    expect(create.mock.calls[0]![0].url).toMatch(/sidepanel\.html#thread=thr_42$/);
  });
});
