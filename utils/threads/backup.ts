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
 * file was made is not running here — it becomes interrupted, never re-sent (it costs money); one
 * still waiting in line was never sent, and says so.
 */
export function sanitizeThread(t: Thread): Thread {
  return {
    ...t,
    turns: t.turns.map((turn) => {
      const out = safeLinks(turn);
      if (isInFlight(out.status))
        return { ...out, status: 'interrupted', error: { kind: 'interrupted', message: words('exportedRunning') } };
      if (isActive(out.status)) return { ...out, status: 'cancelled', error: { kind: 'cancelled', message: words('exportedPending') } };
      return out;
    }),
  };
}

/** Only http(s) links survive in a thread handed in from outside the background. */
export function sanitizeLinks(t: Thread): Thread {
  return { ...t, turns: t.turns.map(safeLinks) };
}

function safeLinks(turn: Turn): Turn {
  // The turn without its links; each comes back only if it is http(s).
  const { videoUrl, previewUrl, taskPageUrl, taskSourceUrl, ...rest } = turn;
  const links = { videoUrl, previewUrl, taskPageUrl, taskSourceUrl };
  const out: Turn = rest;
  for (const k of ['videoUrl', 'previewUrl', 'taskPageUrl', 'taskSourceUrl'] as const) {
    const safe = safeHttpUrl(links[k]);
    if (safe) out[k] = safe;
  }
  const access = safeHttpUrl(out.error?.needsAccess);
  if (out.error?.needsAccess !== undefined && !access) out.error = { ...out.error, needsAccess: undefined };
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
  /** The threads in the history (a record the index does not list is not one of them). */
  entries(): readonly { id: string }[];
  /** All in one go (one index write); rejects, having changed nothing, when storage refuses. */
  putMany(threads: readonly Thread[]): Promise<void>;
}

/**
 * Merges threads (already validated by the page that read the file) into the history. They are
 * checked again here, because the store must never hold a record a page could not read.
 */
export async function importInto(store: ThreadStoreLike, threads: readonly unknown[]): Promise<ImportCounts> {
  const bad = threads.findIndex((t) => !isThread(t));
  if (bad !== -1) throw new Error(words('file_thread_damaged', { n: bad + 1 }));
  const clean = (threads as Thread[]).map(sanitizeThread);
  const listed = new Set(store.entries().map((e) => e.id));
  const existing = new Map<string, Thread>();
  for (const id of new Set(clean.map((t) => t.id))) {
    const t = listed.has(id) ? await store.get(id) : undefined;
    if (t) existing.set(id, t);
  }
  const { write, counts } = planMerge(existing, clean);
  await store.putMany(write);
  return counts;
}
