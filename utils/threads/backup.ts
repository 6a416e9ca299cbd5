import { redactSecret } from '../relay/errors';
import { safeHttpUrl } from '../relay/safe-url';
import { isThread } from './records';
import { t as words } from '../i18n';
import { isInFlight, isActive, type Thread, type Turn } from './model';

export const EXPORT_FORMAT = 'sora-threads-export';
export const EXPORT_VERSION = 1;
/** A file larger than this is refused before parsing (a history of thousands of threads is ~10 MB). */
export const IMPORT_MAX_BYTES = 50 * 1024 * 1024;

/**
 * The history as a file. Settings (and so the API key) are never part of it, nor the state of
 * this browser's local copies (the copies themselves stay here).
 */
export function buildExport(threads: readonly Thread[], apiKey = '', now = new Date()): string {
  const file = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: now.toISOString(),
    threads: threads.map((thread) => ({ ...thread, turns: thread.turns.map(({ media: _local, ...turn }) => turn) })),
  };
  // Belt and braces: a key a relay echoed into an answer must not leave the browser in a file.
  return redactSecret(JSON.stringify(file, null, 1), apiKey);
}

/**
 * Imported data is outside input: links must be http(s), and a job that was running when the
 * file was made is not running here — it becomes interrupted, never re-sent (it costs money).
 */
export function sanitizeThread(t: Thread): Thread {
  return { ...t, turns: t.turns.map(sanitizeTurn) };
}

function sanitizeTurn(turn: Turn): Turn {
  const out: Turn = { ...turn };
  for (const k of ['videoUrl', 'previewUrl', 'taskPageUrl', 'taskSourceUrl'] as const) {
    const safe = safeHttpUrl(out[k]);
    if (safe) out[k] = safe;
    else delete out[k];
  }
  if (isActive(out.status)) {
    out.status = isInFlight(out.status) ? 'interrupted' : 'cancelled';
    out.error ??= { kind: 'network', message: words('exportedRunning') };
  }
  return out;
}

export interface ImportCounts {
  added: number;
  updated: number;
  unchanged: number;
}

/** Which imported threads to write: new ones, and newer versions of ones we have. */
export function planMerge(existing: ReadonlyMap<string, Thread>, incoming: readonly Thread[]): { write: Thread[]; counts: ImportCounts } {
  const counts: ImportCounts = { added: 0, updated: 0, unchanged: 0 };
  const write: Thread[] = [];
  const seen = new Set<string>();
  for (const t of incoming) {
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    const have = existing.get(t.id);
    if (!have) {
      counts.added++;
      write.push(t);
    } else if (t.updatedAt > have.updatedAt && !have.turns.some((x) => isActive(x.status))) {
      counts.updated++;
      write.push(t);
    } else counts.unchanged++;
  }
  return { write, counts };
}

interface ThreadStoreLike {
  get(id: string): Promise<Thread | undefined>;
  put(t: Thread, opts: { immediate?: boolean; revive?: boolean }): Promise<void>;
}

/**
 * Merges threads (already validated by the page that read the file) into the history. They are
 * checked again here, because the store must never hold a record a page could not read.
 */
export async function importInto(store: ThreadStoreLike, threads: readonly unknown[]): Promise<ImportCounts> {
  const bad = threads.findIndex((t) => !isThread(t));
  if (bad !== -1) throw new Error(words('file_thread_damaged', { n: bad + 1 }));
  const clean = (threads as Thread[]).map(sanitizeThread);
  const existing = new Map<string, Thread>();
  for (const id of new Set(clean.map((t) => t.id))) {
    const t = await store.get(id);
    if (t) existing.set(id, t);
  }
  const { write, counts } = planMerge(existing, clean);
  for (const t of write) await store.put(t, { immediate: true, revive: true });
  return counts;
}
