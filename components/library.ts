import { applyLive, type LiveProgress } from '@/utils/runner/live-progress';
import type { IndexEntry } from '@/utils/threads/records';
import { isActive, type Thread } from '@/utils/threads/model';
import { newestFirst, readIndex, readThreads, watchStore, type StoreChange } from '@/utils/threads/store-read';

/** Threads read per storage call while search scans the whole history. */
export const SCAN_BATCH = 100;

/** Lower-case words of a query; every one must appear (in the title or in any prompt). */
export function queryTerms(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

export function searchTextOf(thread: Thread): string {
  return [thread.title, ...thread.turns.map((t) => t.prompt)].join('\n').toLowerCase();
}

export function matches(terms: readonly string[], title: string, text: string | undefined): boolean {
  const t = title.toLowerCase();
  return terms.every((term) => t.includes(term) || !!text?.includes(term));
}

/**
 * Where each waiting turn stands in the local queue (1 = next to start): every pending turn of
 * every thread, oldest first, as the job runner starts them.
 */
export function queuePositions(threads: Iterable<Thread>): Map<string, number> {
  const pending: { id: string; at: number }[] = [];
  for (const t of threads) for (const turn of t.turns) if (turn.status === 'pending') pending.push({ id: turn.id, at: turn.createdAt });
  pending.sort((a, b) => a.at - b.at);
  return new Map(pending.map((p, i) => [p.id, i + 1]));
}

/**
 * The side panel's view of the store: the whole index (small), full records only for what is on
 * screen and for active threads, and for search the prompts of every thread, read a batch at a
 * time and kept as plain text. Follows storage changes; tells subscribers when anything moved.
 */
export class Library {
  index: IndexEntry[] = [];
  readonly records = new Map<string, Thread>();
  /** Searchable text (title and prompts, lower case) per thread id. */
  readonly text = new Map<string, string>();
  readonly skipped = new Set<string>();
  /**
   * Ids the index lists but storage has no record for (the worker stopped between a delete's two
   * writes): read once, then left out, or every render would ask for them again.
   */
  private readonly missing = new Set<string>();
  /** The latest live progress per running turn (see utils/live-progress.ts). */
  private readonly live = new Map<string, LiveProgress>();
  ready = false;
  private readonly loading = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private scanning: Promise<void> | undefined;
  private stopWatch: (() => void) | undefined;

  start(): void {
    this.stopWatch = watchStore((c) => this.apply(c));
    void readIndex().then((ix) => {
      this.setIndex(ix);
      this.ready = true;
      this.emit();
    });
  }

  dispose(): void {
    this.stopWatch?.();
    this.listeners.clear();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Loads the records of these threads (one storage call), unless already here or on the way. */
  async ensure(ids: readonly string[]): Promise<void> {
    const wanted = ids.filter((id) => !this.records.has(id) && !this.loading.has(id) && !this.skipped.has(id) && !this.missing.has(id));
    if (!wanted.length) return;
    for (const id of wanted) this.loading.add(id);
    try {
      const got = await readThreads(wanted);
      const known = new Set(this.index.map((e) => e.id));
      // A change event may have brought a newer version meanwhile: that one wins.
      for (const t of got.value) if (known.has(t.id) && !this.records.has(t.id)) this.keep(t);
      for (const id of got.skipped) this.skipped.add(id);
      const found = new Set([...got.value.map((t) => t.id), ...got.skipped]);
      const gone = wanted.filter((id) => !found.has(id) && !this.records.has(id));
      if (gone.length) {
        for (const id of gone) this.missing.add(id);
        this.showIndex();
      }
    } finally {
      for (const id of wanted) this.loading.delete(id);
    }
    this.emit();
  }

  /** True once every thread's prompts are known to search. */
  get scanned(): boolean {
    return this.index.every((e) => this.text.has(e.id) || this.skipped.has(e.id));
  }

  /** Reads every thread's prompts a batch at a time (keeping only the text), for search. */
  scanAll(): Promise<void> {
    this.scanning ??= (async () => {
      for (;;) {
        const ids = this.index
          .filter((e) => !this.text.has(e.id) && !this.skipped.has(e.id))
          .slice(0, SCAN_BATCH)
          .map((e) => e.id);
        if (!ids.length) break;
        const got = await readThreads(ids);
        for (const t of got.value) if (!this.text.has(t.id)) this.text.set(t.id, searchTextOf(t));
        for (const id of got.skipped) this.skipped.add(id);
        // Gone meanwhile (deleted): nothing to search, and the loop must not ask again.
        for (const id of ids) if (!this.text.has(id)) this.text.set(id, '');
        this.emit();
      }
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  search(query: string): IndexEntry[] {
    const terms = queryTerms(query);
    if (!terms.length) return this.index;
    return this.index.filter((e) => matches(terms, e.title, this.text.get(e.id)));
  }

  queue(): Map<string, number> {
    return queuePositions(this.index.filter((e) => e.lastStatus === 'pending').flatMap((e) => this.records.get(e.id) ?? []));
  }

  private keep(t: Thread): void {
    // A durable write can lag the live progress already shown: never step back to it.
    for (const turn of t.turns) {
      const live = this.live.get(turn.id);
      if (live) t = applyLive(t, live);
      if (live && turn.status !== 'queued' && turn.status !== 'generating') this.live.delete(turn.id);
    }
    this.records.set(t.id, t);
    this.text.set(t.id, searchTextOf(t));
  }

  /** The index as stored; `index` is it without the entries found to have no record. */
  private listed: IndexEntry[] = [];

  private showIndex(): void {
    this.index = this.listed.filter((e) => !this.missing.has(e.id));
  }

  private setIndex(ix: IndexEntry[]): void {
    this.listed = [...ix].sort(newestFirst);
    const listed = new Set(ix.map((e) => e.id));
    for (const id of [...this.missing]) if (!listed.has(id)) this.missing.delete(id);
    this.showIndex();
    const known = new Set(this.index.map((e) => e.id));
    for (const id of [...this.records.keys()]) if (!known.has(id)) this.records.delete(id);
    for (const id of [...this.text.keys()]) if (!known.has(id)) this.text.delete(id);
    // Active threads are always loaded: the queue positions need every pending turn.
    void this.ensure(this.index.filter((e) => isActive(e.lastStatus)).map((e) => e.id));
  }

  private apply(change: StoreChange): void {
    for (const live of change.live ?? []) this.live.set(live.turnId, live);
    for (const [id, t] of change.threads) {
      if (t) {
        // Written after all (an import, an undo): shown again.
        if (this.missing.delete(id)) this.showIndex();
        this.keep(t);
      } else {
        this.records.delete(id);
        this.text.delete(id);
      }
    }
    for (const live of change.live ?? []) {
      const rec = this.records.get(live.threadId);
      if (rec) this.records.set(rec.id, applyLive(rec, live));
    }
    if (change.index) this.setIndex(change.index);
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
