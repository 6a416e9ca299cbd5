import { isRecord } from '../is-record';
import { safeHttpUrl } from '../relay/safe-url';

/**
 * One Videos-API job as a relay describes it, read tolerantly: new-api answers `unknown` until its
 * first poll of the provider, passes an upstream's own words through (`pending`, `processing`…),
 * may answer a failed job with an error object and no `status` at all, and puts anything in
 * `metadata.url` (a CDN link, its own `/content`, a `data:` URL, even the failure reason).
 */
export type JobPhase = 'queued' | 'generating' | 'completed' | 'failed';

export interface JobState {
  id?: string;
  phase: JobPhase;
  /** 0..100; never 100 before `completed` (grok2api reads 100 while it still downloads). */
  progress?: number;
  /** The relay's reason for a failure: its message, else its code; absent when it gave none. */
  failure?: string;
  /** An http(s) link to the finished file, to be read without the key; not the relay's own `/content`. */
  videoUrl?: string;
  /** Seconds since the epoch, when the relay says the job's files expire. */
  expiresAt?: number;
  remixedFrom?: string;
}

const COMPLETED = new Set(['completed', 'complete', 'succeeded', 'success', 'done', 'finished', 'ready']);
const FAILED = new Set(['failed', 'failure', 'error', 'errored', 'cancelled', 'canceled', 'expired', 'rejected', 'timeout', 'timed_out']);
const GENERATING = new Set(['in_progress', 'processing', 'running', 'generating', 'started', 'rendering']);
const MAX_ID_CHARS = 200;
const MAX_REASON_CHARS = 500;

function phaseOf(raw: unknown): JobPhase | undefined {
  if (typeof raw !== 'string') return undefined;
  const word = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (COMPLETED.has(word)) return 'completed';
  if (FAILED.has(word)) return 'failed';
  if (GENERATING.has(word)) return 'generating';
  // queued, pending, submitted, unknown, "" and anything new: not finished, keep asking.
  return undefined;
}

/** A job id as relays mint them (`task_…`, `video_…`): short, URL-safe, nothing else. */
export function jobIdOf(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw.length <= MAX_ID_CHARS && /^[\w.:-]+$/.test(raw) ? raw : undefined;
}

function text(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are stripped from relay text on purpose
  const clean = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean === '' ? undefined : clean.slice(0, MAX_REASON_CHARS);
}

function reasonOf(error: unknown): string | undefined {
  if (typeof error === 'string') return text(error);
  if (!isRecord(error)) return undefined;
  return text(error.message) ?? text(error.code);
}

/**
 * Whether `url` is the relay's own keyed download of this job (new-api's proxy link, which its
 * default settings even point at `http://localhost:3000`): that one is read from our base URL with
 * the key, never from wherever the link says.
 */
function isContentRoute(url: string): boolean {
  return /\/v1\/videos\/[^/]+\/content$/.test(new URL(url).pathname);
}

export function readJob(value: unknown): JobState {
  const job = isRecord(value) ? value : {};
  const error = job.error;
  let phase = phaseOf(job.status);
  // new-api passing an upstream's error through: `{"error":…,"id":…}`, no status at all.
  if (phase === undefined && job.status === undefined && (isRecord(error) || typeof error === 'string')) phase = 'failed';
  const out: JobState = { phase: phase ?? 'queued' };
  const id = jobIdOf(job.id);
  if (id) out.id = id;
  const progress = job.progress;
  if (typeof progress === 'number' && Number.isFinite(progress)) {
    const clamped = Math.min(100, Math.max(0, progress));
    out.progress = out.phase === 'completed' ? 100 : Math.min(clamped, 99);
  } else if (out.phase === 'completed') out.progress = 100;
  if (out.phase === 'failed') {
    const reason = reasonOf(error);
    if (reason) out.failure = reason;
  }
  if (out.phase === 'completed' && isRecord(job.metadata)) {
    const url = safeHttpUrl(typeof job.metadata.url === 'string' ? job.metadata.url : undefined);
    if (url && !isContentRoute(url)) out.videoUrl = url;
  }
  if (typeof job.expires_at === 'number' && Number.isFinite(job.expires_at) && job.expires_at > 0) out.expiresAt = job.expires_at;
  const remixed = jobIdOf(job.remixed_from_video_id);
  if (remixed) out.remixedFrom = remixed;
  return out;
}
