import { useEffect, useState } from 'preact/hooks';
import { applyLive, type LiveProgress } from '@/utils/live-progress';
import type { IndexEntry } from '@/utils/thread-records';
import type { Thread } from '@/utils/threads';
import { newestFirst, readIndex, readThreads, watchStore } from '@/utils/store-read';

export interface ThreadsState {
  loading: boolean;
  /** The newest `limit` threads, newest first. */
  threads: Thread[];
}

/** The newest few threads from storage, kept live by storage change events (the popup's list). */
export function useThreads(limit: number): ThreadsState {
  const [state, setState] = useState<ThreadsState>({ loading: true, threads: [] });

  useEffect(() => {
    let alive = true;
    let index: IndexEntry[] = [];
    const byId = new Map<string, Thread>();
    const live = new Map<string, LiveProgress>();
    // A stored record may lag the live progress already shown: fold it back in.
    const keep = (t: Thread) => byId.set(t.id, t.turns.reduce((acc, turn) => (live.has(turn.id) ? applyLive(acc, live.get(turn.id)!) : acc), t));
    const publish = () => {
      if (!alive) return;
      setState({ loading: false, threads: index.map((e) => byId.get(e.id)).filter((t): t is Thread => !!t) });
    };
    const load = async (entries: IndexEntry[]) => {
      index = [...entries].sort(newestFirst).slice(0, limit);
      const got = await readThreads(index.filter((e) => !byId.has(e.id)).map((e) => e.id));
      for (const t of got.value) if (!byId.has(t.id)) keep(t);
      publish();
    };
    const stop = watchStore((change) => {
      for (const l of change.live ?? []) live.set(l.turnId, l);
      for (const [id, t] of change.threads) {
        if (t) keep(t);
        else byId.delete(id);
      }
      for (const l of change.live ?? []) {
        const t = byId.get(l.threadId);
        if (t) keep(t);
      }
      if (change.index) void load(change.index);
      else publish();
    });
    void readIndex().then(load);
    return () => {
      alive = false;
      stop();
    };
  }, [limit]);

  return state;
}
