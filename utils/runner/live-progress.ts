import type { Thread } from '../threads/model';

/**
 * Progress travels to the pages through storage.session (memory, no disk write) as fast as the
 * report is read, while durable writes of the thread stay at ≤ 5 per second. Pages fold it into
 * the thread they show; the stored record catches up at the next durable write.
 */
export const LIVE_PREFIX = 'live:';
export const liveKey = (turnId: string) => `${LIVE_PREFIX}${turnId}`;

export interface LiveProgress {
  threadId: string;
  turnId: string;
  progress: number;
  status: 'queued' | 'generating';
}

export function isLiveProgress(x: unknown): x is LiveProgress {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Record<string, unknown>;
  return (
    typeof p.threadId === 'string' &&
    typeof p.turnId === 'string' &&
    typeof p.progress === 'number' &&
    Number.isFinite(p.progress) &&
    (p.status === 'queued' || p.status === 'generating')
  );
}

/** The thread with a live value folded in; the same object when it adds nothing new. */
export function applyLive(thread: Thread, live: LiveProgress): Thread {
  const t = thread.turns.find((x) => x.id === live.turnId);
  // Only a turn that is still running, and only forward: a stored final state always wins.
  if (!t || (t.status !== 'queued' && t.status !== 'generating')) return thread;
  const progress = Math.max(t.progress ?? 0, Math.min(100, live.progress));
  const status = t.status === 'generating' ? t.status : live.status;
  if (progress === t.progress && status === t.status) return thread;
  return { ...thread, turns: thread.turns.map((x) => (x === t ? { ...t, progress, status } : x)) };
}
