import { browser } from 'wxt/browser';
import { INDEX_KEY, SCHEMA_KEY, isThreadKey } from './storage-keys';
import { indexEntryOf, isThread, type IndexEntry } from './records';

export const SCHEMA_VERSION = 1;

type Store = Record<string, unknown>;
/** A migration reads the whole local area and returns the keys to set and to remove. */
export type Migration = (all: Store) => { set: Store; remove: string[] };

/**
 * migrations[n] brings storage from version n-1 to n. Version 0 is "no schema key": a fresh
 * install, or threads written without an index (a crash between the two writes of an early
 * build); 0→1 (re)builds the index from whatever thread records are there.
 */
export const MIGRATIONS: Record<number, Migration> = {
  1: (all) => {
    const known = new Map<string, IndexEntry>();
    for (const [key, value] of Object.entries(all)) {
      if (isThreadKey(key) && isThread(value)) known.set(value.id, indexEntryOf(value));
    }
    const index = [...known.values()].sort((a, b) => b.createdAt - a.createdAt);
    return { set: { [INDEX_KEY]: index }, remove: [] };
  },
};

export interface MigrationReport {
  from: number;
  to: number;
  /** A version newer than this build knows: leave everything as it is, read what we can. */
  newer: boolean;
}

export async function migrate(migrations: Record<number, Migration> = MIGRATIONS, target = SCHEMA_VERSION): Promise<MigrationReport> {
  const area = browser.storage.local;
  const stored = (await area.get(SCHEMA_KEY))[SCHEMA_KEY];
  const from = typeof stored === 'number' && Number.isInteger(stored) && stored >= 0 ? stored : 0;
  if (from > target) return { from, to: from, newer: true };
  if (from === target) return { from, to: target, newer: false };
  let all: Store = await area.get(null);
  for (let v = from + 1; v <= target; v++) {
    const step = migrations[v];
    if (!step) throw new Error(`No migration to schema ${v}`);
    const { set, remove } = step(all);
    // Each step is committed with its version so an interrupted upgrade resumes at the right step.
    if (remove.length) await area.remove(remove);
    await area.set({ ...set, [SCHEMA_KEY]: v });
    const removed = new Set(remove);
    all = Object.fromEntries(Object.entries({ ...all, ...set, [SCHEMA_KEY]: v }).filter(([k]) => !removed.has(k)));
  }
  return { from, to: target, newer: false };
}
