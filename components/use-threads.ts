import { useEffect, useState } from 'preact/hooks';
import type { IndexEntry } from '@/utils/threads/records';
import type { Thread } from '@/utils/threads/model';
import { newestFirst, readIndex, readThreads, watchStore } from '@/utils/threads/store-read';

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
    // The popup's short list follows durable writes (≤ 5 a second per job); the live-progress
    // channel is for the side panel, and leaving it out keeps the popup inside its size budget.
    const keep = (t: Thread) => byId.set(t.id, t);
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
      for (const [id, t] of change.threads) {
        if (t) keep(t);
        else byId.delete(id);
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
