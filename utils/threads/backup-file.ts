import * as v from 'valibot';
import { EXPORT_FORMAT, EXPORT_VERSION, IMPORT_MAX_BYTES } from './backup';
import type { Thread } from './model';
import { MAX_IMAGE_BYTES, MAX_REFERENCE_IMAGES } from '../images/limits';
import { t } from '../i18n';

/*
 * Reading an export file, in the page that picked it (valibot stays out of the background's
 * bundle). The background re-checks every thread before storing it.
 */

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
  reasoning: v.optional(Str(10_000_000)),
  jobId: v.optional(Str(500)),
  mediaOf: v.optional(Str(200)),
  seconds: v.optional(Str(20)),
  size: v.optional(Str(40)),
  fresh: v.optional(v.boolean()),
  // Refs only: the bytes are not in a JSON file (see imageCopiesOf for exports that carry files).
  images: v.optional(
    v.pipe(
      v.array(
        v.object({
          mime: v.picklist(['image/jpeg', 'image/png', 'image/webp']),
          bytes: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_IMAGE_BYTES)),
          sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
        }),
      ),
      v.maxLength(MAX_REFERENCE_IMAGES),
    ),
  ),
  expiresAt: v.optional(Time),
  error: v.optional(
    v.object({
      kind: Str(40),
      message: Str(5000),
      status: v.optional(v.number()),
      serverMessage: v.optional(Str(5000)),
      code: v.optional(Str(500)),
      retryAfterSec: v.optional(v.number()),
      needsAccess: v.optional(Str(500)),
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
  protocol: v.optional(v.picklist(['chat', 'jobs'])),
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

export type ParsedImport = { ok: true; threads: Thread[] } | { ok: false; error: string };

/** Validates a whole file; any problem rejects all of it, so a bad file changes nothing. */
export function parseImport(text: string): ParsedImport {
  if (text.length > IMPORT_MAX_BYTES) return { ok: false, error: t('file_too_large') };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: t('file_not_json') };
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (format !== EXPORT_FORMAT) return { ok: false, error: t('file_not_export') };
  const version = (json as { version?: unknown }).version;
  if (typeof version === 'number' && version > EXPORT_VERSION) return { ok: false, error: t('file_newer', { v: version }) };
  const r = v.safeParse(ExportSchema, json);
  if (!r.success) {
    // A failed parse has at least one issue.
    const issue = r.issues[0];
    const where = v.getDotPath(issue);
    const vars = { where: where ?? '', issue: issue.message };
    return { ok: false, error: where ? t('file_damaged_at', vars) : t('file_damaged', vars) };
  }
  return { ok: true, threads: r.output.threads as Thread[] };
}
