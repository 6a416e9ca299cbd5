import { useEffect, useState } from 'preact/hooks';
import { readIndex, readThreads, watchStore } from '@/utils/store';
import type { IndexEntry } from '@/utils/thread-records';
import type { Thread } from '@/utils/threads';

export interface ThreadsState {
  loading: boolean;
  threads: Thread[];
  /** Thread records that could not be read (damaged): reported, left in storage untouched. */
  skipped: string[];
}

/** Threads from storage, newest first, kept live by storage change events. */
export function useThreads(limit?: number): ThreadsState {
  const [state, setState] = useState<ThreadsState>({ loading: true, threads: [], skipped: [] });

  useEffect(() => {
    let alive = true;
    let index: IndexEntry[] = [];
    const byId = new Map<string, Thread>();
    const publish = (skipped: string[]) => {
      const threads = index.map((e) => byId.get(e.id)).filter((t): t is Thread => !!t);
      setState({ loading: false, threads, skipped });
    };
    let skipped: string[] = [];
    const load = async (entries: IndexEntry[]) => {
      index = [...entries].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
      const missing = index.filter((e) => !byId.has(e.id)).map((e) => e.id);
      const got = await readThreads(missing);
      for (const t of got.value) byId.set(t.id, t);
      skipped = [...new Set([...skipped, ...got.skipped])];
      if (alive) publish(skipped);
    };
    const stop = watchStore((change) => {
      for (const [id, t] of change.threads) {
        if (t) byId.set(id, t);
        else byId.delete(id);
      }
      if (change.index) void load(change.index);
      else publish(skipped);
    });
    void readIndex().then(load);
    return () => {
      alive = false;
      stop();
    };
  }, [limit]);

  return state;
}
