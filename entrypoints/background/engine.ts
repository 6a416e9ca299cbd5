import { browser } from 'wxt/browser';
import { chatProtocol } from '@/utils/chat/chat-protocol';
import { parseTaskReport } from '@/utils/chat/report-parser';
import { streamChat } from '@/utils/chat/stream-client';
import { jobsProtocol } from '@/utils/jobs/jobs-protocol';
import { turnImages } from '@/utils/images/turn-images';
import { createMediaStore } from '@/utils/media';
import { CopyKeeper } from '@/utils/media/copy-keeper';
import { showRunningOnBadge } from '@/utils/runner/badge';
import { createKeepAlive, createWakeAlarm } from '@/utils/runner/keep-alive';
import { liveKey } from '@/utils/runner/live-progress';
import type { Protocol } from '@/utils/runner/protocol';
import { JobRunner, relayAccess } from '@/utils/runner/runner';
import { loadSettings, originPattern } from '@/utils/settings/settings';
import type { ProtocolName, Thread } from '@/utils/threads/model';
import type { ThreadWriter } from '@/utils/threads/store';
import { notifyFinished } from './notifications';

/** The default cap on local copies until Options sets one. */
const COPY_CAP_BYTES = 2 * 1024 ** 3;
/** Completed this recently and still without a copy: the copy is made (again) at start-up. */
const RECENT_MS = 24 * 60 * 60_000;

/** Whether the worker may read this URL's origin (a host permission), else only what CORS allows. */
const canRead = (url: string): Promise<boolean> => browser.permissions.contains({ origins: [originPattern(url)] });

/**
 * The parts that run jobs, wired together: both protocols, the runner, and the keeper of local
 * copies that a finished turn hands its video to.
 */
export function createEngine(writer: ThreadWriter) {
  const media = createMediaStore();
  const images = turnImages(media);
  const protocols: Record<ProtocolName, Protocol> = {
    chat: chatProtocol({ stream: streamChat, parse: parseTaskReport, canRead, images: (turn) => images.dataUrls(turn) }),
    jobs: jobsProtocol({ images: (turn) => images.files(turn) }),
  };
  const keeper = new CopyKeeper({
    media,
    relay: async () => relayAccess(await loadSettings()),
    videoSources: (thread, turn, relay) => protocols[thread.protocol ?? 'chat'].videoSources(turn, relay),
    update: async (threadId, turnId, change, phase) => {
      await writer.update(
        threadId,
        (t) => ({ ...t, turns: t.turns.map((x) => (x.id === turnId ? { ...x, media: change(x.media) } : x)) }),
        { immediate: phase },
      );
    },
    canRead,
    capBytes: () => Promise.resolve(COPY_CAP_BYTES),
    onBusy: (n) => {
      copying = n;
      keepAlive.set(running + copying > 0);
    },
  });
  const keepAlive = createKeepAlive();
  const wakeAlarm = createWakeAlarm();
  /** Jobs running and copies being saved: the worker is kept alive while either is under way. */
  let running = 0;
  let copying = 0;
  const runner = new JobRunner({
    writer,
    settings: loadSettings,
    protocols,
    images,
    onActivity: (n) => {
      running = n;
      keepAlive.set(running + copying > 0);
      void wakeAlarm.set(n > 0);
      showRunningOnBadge(n);
    },
    onLive: (turnId, live) => {
      const key = liveKey(turnId);
      void (live ? browser.storage.session.set({ [key]: live }) : browser.storage.session.remove(key)).catch(() => {});
    },
    onFinished: (thread, turn) => {
      void notifyFinished(thread, turn);
      if (turn.status === 'completed') void keeper.keep(thread, turn);
    },
  });

  /** Unfinished copies of recent videos (the worker stopped while saving): made now. */
  const resumeCopies = async (): Promise<void> => {
    const since = Date.now() - RECENT_MS;
    const recent: Thread[] = [];
    for (const entry of writer.entries()) {
      if (entry.updatedAt < since) continue;
      const thread = await writer.get(entry.id);
      if (thread) recent.push(thread);
    }
    keeper.resume(recent, since);
  };

  return { runner, keeper, media, images, wakeAlarm, resumeCopies };
}
