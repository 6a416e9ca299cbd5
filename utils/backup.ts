import * as v from 'valibot';
import { redactSecret } from './errors';
import { safeHttpUrl } from './safe-url';
import { isInFlight, isActive, type Thread, type Turn } from './threads';

export const EXPORT_FORMAT = 'sora-threads-export';
export const EXPORT_VERSION = 1;
/** A file larger than this is refused before parsing (a history of thousands of threads is ~10 MB). */
export const IMPORT_MAX_BYTES = 50 * 1024 * 1024;

const Str = (max: number) => v.pipe(v.string(), v.maxLength(max));
const Time = v.pipe(v.number(), v.finite(), v.minValue(0));

const TurnSchema = v.object({
  id: Str(200),
  prompt: Str(20_000),
  status: v.picklist(['pending', 'queued', 'generating', 'completed', 'failed', 'cancelled', 'interrupted']),
  progress: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100))),
  taskId: v.optional(Str(500)),
  sid: v.optional(Str(500)),
  videoUrl: v.optional(Str(4000)),
  previewUrl: v.optional(Str(4000)),
  taskPageUrl: v.optional(Str(4000)),
  taskSourceUrl: v.optional(Str(4000)),
  echo: v.optional(v.record(v.string(), v.unknown())),
  content: Str(10_000_000),
  error: v.optional(
    v.object({
      kind: Str(40),
      message: Str(5000),
      status: v.optional(v.number()),
      serverMessage: v.optional(Str(5000)),
      code: v.optional(Str(500)),
      retryAfterSec: v.optional(v.number()),
    }),
  ),
  createdAt: Time,
  startedAt: v.optional(Time),
  finishedAt: v.optional(Time),
});

const ThreadSchema = v.object({
  id: Str(200),
  title: Str(1000),
  model: Str(200),
  createdAt: Time,
  updatedAt: Time,
  origin: v.optional(v.picklist(['popup', 'sidepanel', 'context-menu', 'branch', 'import']), 'import'),
  turns: v.pipe(v.array(TurnSchema), v.minLength(1)),
});

export const ExportSchema = v.object({
  format: v.literal(EXPORT_FORMAT),
  version: v.literal(EXPORT_VERSION),
  exportedAt: v.string(),
  threads: v.array(ThreadSchema),
});

export type ExportFile = v.InferOutput<typeof ExportSchema>;

/** The history as a file. Settings (and so the API key) are never part of it. */
export function buildExport(threads: readonly Thread[], apiKey = '', now = new Date()): string {
  const file: ExportFile = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: now.toISOString(),
    threads: threads as ExportFile['threads'],
  };
  // Belt and braces: a key a relay echoed into an answer must not leave the browser in a file.
  return redactSecret(JSON.stringify(file, null, 1), apiKey);
}

export type ParsedImport = { ok: true; threads: Thread[] } | { ok: false; error: string };

/** Validates a whole file; any problem rejects all of it, so a bad file changes nothing. */
export function parseImport(text: string): ParsedImport {
  if (text.length > IMPORT_MAX_BYTES) return { ok: false, error: 'That file is too large to be a Sora Threads export.' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'That file is not valid JSON, so it is not a Sora Threads export.' };
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (format !== EXPORT_FORMAT) return { ok: false, error: 'That JSON file is not a Sora Threads export.' };
  const version = (json as { version?: unknown }).version;
  if (typeof version === 'number' && version > EXPORT_VERSION)
    return { ok: false, error: `That export was made by a newer version of Sora Threads (format ${version}). Update the extension first.` };
  const r = v.safeParse(ExportSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    const where = issue ? v.getDotPath(issue) : undefined;
    return { ok: false, error: `The export file is damaged${where ? ` at ${where}` : ''}: ${issue?.message ?? 'invalid data'}. Nothing was imported.` };
  }
  return { ok: true, threads: r.output.threads.map((t) => sanitizeThread(t as Thread)) };
}

/**
 * Imported data is outside input: links must be http(s), and a job that was running when the
 * file was made is not running here — it becomes interrupted, never re-sent (it costs money).
 */
function sanitizeThread(t: Thread): Thread {
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
    out.error ??= { kind: 'network', message: 'This job was still running when the history was exported.' };
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
  put(t: Thread, opts: { immediate?: boolean }): Promise<void>;
}

/** Merges an export file into the history; a bad file throws with a clear message and writes nothing. */
export async function importInto(store: ThreadStoreLike, text: string): Promise<ImportCounts> {
  const parsed = parseImport(text);
  if (!parsed.ok) throw new Error(parsed.error);
  const existing = new Map<string, Thread>();
  for (const id of new Set(parsed.threads.map((t) => t.id))) {
    const t = await store.get(id);
    if (t) existing.set(id, t);
  }
  const { write, counts } = planMerge(existing, parsed.threads);
  for (const t of write) await store.put(t, { immediate: true });
  return counts;
}
