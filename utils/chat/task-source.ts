import { cancelled, redactSecret } from '../relay/errors';
import { parseRetryAfter } from '../relay/http-error';
import { t } from '../i18n';
import { isRecord } from '../is-record';
import { safeHttpUrl } from '../relay/safe-url';

/**
 * The relay's "task source" link (`[原始数据](…)`) answers JSON about a job that keeps running on
 * the relay whatever happens to the stream that reported it. Following it is how a turn whose
 * stream was cut (worker stopped, connection dropped, stall) still gets its video without the
 * prompt ever being sent — and billed — again.
 *
 * Everything here treats the JSON as hostile: only known fields are read, with bounded sizes,
 * only http(s) links survive, and the request carries no key, no cookie, no referrer.
 */

export type TaskSourceStatus = 'queued' | 'generating' | 'completed' | 'failed' | 'unknown';

export interface TaskSourceState {
  status: TaskSourceStatus;
  /** 0..100 when the relay gave one. */
  progress?: number;
  videoUrl?: string;
  previewUrl?: string;
  sid?: string;
  /** The relay's reason, for a failed job (trimmed, bounded, control characters removed). */
  failure?: string;
}

export type FollowResult =
  | { outcome: 'completed'; state: TaskSourceState & { videoUrl: string } }
  | { outcome: 'failed'; state: TaskSourceState; failure: string }
  /** Gave up without an answer: the job may still finish on the relay. */
  | { outcome: 'lost'; reason: string };

export interface FollowOptions {
  fetch?: typeof fetch;
  /** Aborting it rejects with a 'cancelled' RelayError. */
  signal?: AbortSignal;
  /** Every successful read, so the caller can show queued/generating and progress. */
  onUpdate?: (state: TaskSourceState) => void | Promise<void>;
  /** Redacted from any text kept from the relay (it should never know the key, but may echo it). */
  secret?: string;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** 0..1; default Math.random. Spreads polls of many turns apart. */
  random?: () => number;
  /** Give up (outcome 'lost') once the clock passes this (ms since the epoch). */
  deadline?: number;
  /** The first delay between polls (default 1 s); it grows by `factor` (1.5) up to `maxDelayMs` (15 s). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Growth of the delay after a poll that brought nothing new, or an error. */
  factor?: number;
  /** One request may take this long before it counts as a failed poll (default 20 s). */
  requestTimeoutMs?: number;
  /** Consecutive answers that can never get better (404, 410, invalid JSON…) before giving up (5). */
  maxHardErrors?: number;
  /** Polls in a row that say "completed" without any http(s) video link before giving up (3). */
  maxCompletedWithoutLink?: number;
  /**
   * Give up (outcome 'lost') once every poll has failed for this long in a row (default 10 min):
   * a source that cannot be reached at all (CORS, a host gone) must not keep a turn waiting for
   * hours. Any readable answer starts the count again.
   */
  maxFailingMs?: number;
  /**
   * Every failed poll; resolving true stops following at once (outcome 'lost' with this reason).
   * `network`: the request itself failed (no answer at all), as it does on a host the extension
   * may not read.
   */
  onFailure?: (failure: { reason: string; network: boolean }) => boolean | Promise<boolean>;
}

/** A task source answer is a few hundred bytes; anything past this is not one. */
export const MAX_TASK_SOURCE_BYTES = 256 * 1024;
const MAX_URL_CHARS = 8192;
const MAX_FAILURE_CHARS = 500;

const COMPLETED = new Set([
  'completed',
  'complete',
  'succeeded',
  'succeed',
  'success',
  'successful',
  'done',
  'finished',
  'finish',
  'ready',
  'ok',
]);
const FAILED = new Set([
  'failed',
  'fail',
  'failure',
  'error',
  'errored',
  'cancelled',
  'canceled',
  'rejected',
  'expired',
  'timeout',
  'timed_out',
  'aborted',
  'blocked',
]);
const GENERATING = new Set([
  'processing',
  'in_progress',
  'inprogress',
  'running',
  'generating',
  'started',
  'rendering',
  'progress',
  'active',
]);
const QUEUED = new Set(['queued', 'queue', 'queuing', 'queueing', 'pending', 'waiting', 'submitted', 'created', 'not_started', 'new']);

function statusOf(raw: unknown): TaskSourceStatus | undefined {
  if (typeof raw !== 'string' || raw.length > 100) return undefined;
  const s = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (COMPLETED.has(s)) return 'completed';
  if (FAILED.has(s)) return 'failed';
  if (GENERATING.has(s)) return 'generating';
  if (QUEUED.has(s)) return 'queued';
  if (/完成|成功/.test(s)) return 'completed';
  if (/失败|错误|取消/.test(s)) return 'failed';
  if (/生成|处理|进行/.test(s)) return 'generating';
  if (/排队|等待/.test(s)) return 'queued';
  return undefined;
}

function progressOf(raw: unknown): number | undefined {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\s*\d{1,3}(?:\.\d{1,6})?\s*%?\s*$/.test(raw)) n = Number.parseFloat(raw);
  else return undefined;
  if (!Number.isFinite(n) || n < 0) return undefined;
  return Math.min(100, Math.round(n));
}

function urlOf(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw.length <= MAX_URL_CHARS ? safeHttpUrl(raw) : undefined;
}

function firstUrl(records: Record<string, unknown>[], keys: readonly string[]): string | undefined {
  for (const r of records)
    for (const k of keys) {
      const u = urlOf(r[k]);
      if (u) return u;
    }
  return undefined;
}

function textOf(raw: unknown): string | undefined {
  let text: unknown = raw;
  if (isRecord(raw)) text = raw.message ?? raw.msg ?? raw.reason;
  if (typeof text !== 'string') return undefined;
  // Control characters (\p{Cc}, except line breaks) could hide text or fake structure in the UI.
  const clean = text.replace(/(?!\n)[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069]/gu, ' ').trim();
  if (!clean) return undefined;
  return clean.length > MAX_FAILURE_CHARS ? `${clean.slice(0, MAX_FAILURE_CHARS)}…` : clean;
}

/**
 * Reads a task source answer: `{status, progress, url, gif_url, data:{url}, failure_reason}` and
 * the variants relays use (a `{data:{…}}` or `{task:{…}}` wrapper, `video_url`, `state`…).
 * Returns a reason string when the value is not a task source at all.
 */
export function readTaskSource(value: unknown): TaskSourceState | { invalid: string } {
  if (!isRecord(value)) return { invalid: t('src_notObject') };
  const layers: Record<string, unknown>[] = [value];
  for (const key of ['data', 'task', 'result', 'output']) {
    const inner = value[key];
    if (isRecord(inner)) layers.push(inner);
    else if (Array.isArray(inner) && isRecord(inner[0])) layers.push(inner[0]);
  }
  let status: TaskSourceStatus | undefined;
  for (const layer of layers) {
    status = statusOf(layer.status) ?? statusOf(layer.state) ?? statusOf(layer.task_status);
    if (status) break;
  }
  const videoUrl = firstUrl(layers, ['video_url', 'videoUrl', 'url', 'video', 'download_url', 'output_url']);
  const previewUrl = firstUrl(layers, [
    'gif_url',
    'preview_url',
    'previewUrl',
    'thumbnail_url',
    'thumbnail',
    'cover_url',
    'cover',
    'image_url',
  ]);
  let progress: number | undefined;
  for (const layer of layers) {
    progress = progressOf(layer.progress) ?? progressOf(layer.percent) ?? progressOf(layer.progress_pct);
    if (progress !== undefined) break;
  }
  let failure: string | undefined;
  for (const layer of layers) {
    failure = textOf(layer.failure_reason) ?? textOf(layer.fail_reason) ?? textOf(layer.error);
    if (failure) break;
  }
  const sidRaw = layers.map((l) => l.sid).find((s) => typeof s === 'string');
  const sid = typeof sidRaw === 'string' && /^[\w.-]{1,200}$/.test(sidRaw) ? sidRaw : undefined;

  if (!status) {
    // No status word we know: a link or a reason still says enough; otherwise it is not ours.
    if (failure && !videoUrl) status = 'failed';
    else if (progress !== undefined || videoUrl) status = 'unknown';
    else return { invalid: t('src_noStatus') };
  }
  const state: TaskSourceState = { status };
  if (progress !== undefined) state.progress = status === 'completed' ? 100 : progress;
  if (status === 'completed') state.progress = 100;
  if (videoUrl) state.videoUrl = videoUrl;
  if (previewUrl) state.previewUrl = previewUrl;
  if (sid) state.sid = sid;
  if (status === 'failed') state.failure = failure ?? textOf(value.message) ?? t('generationFailed');
  return state;
}

type PollAnswer =
  { ok: true; state: TaskSourceState } | { ok: false; hard: boolean; reason: string; retryAfterMs?: number; network?: boolean };

async function readBodyLimited(res: Response, limit: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return undefined;
  if (!res.body) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      bytes += value.byteLength;
      if (bytes > limit) return undefined;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}

async function pollOnce(
  url: string,
  doFetch: typeof fetch,
  signal: AbortSignal,
  timeoutMs: number,
  now: () => number,
): Promise<PollAnswer> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  try {
    // No Authorization, no cookies, no referrer: the task source may be any host, and the API
    // key only ever goes to the configured API origin.
    const res = await doFetch(url, {
      method: 'GET',
      headers: { Accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
      redirect: 'follow',
      signal: ctrl.signal,
    });
    if (!res.ok) {
      void res.body?.cancel().catch(() => {});
      const transient = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'), now());
      return {
        ok: false,
        hard: !transient,
        reason: t('src_http', { status: res.status }),
        ...(retryAfter !== undefined && { retryAfterMs: retryAfter * 1000 }),
      };
    }
    const body = await readBodyLimited(res, MAX_TASK_SOURCE_BYTES);
    if (body === undefined) return { ok: false, hard: true, reason: t('src_tooLarge') };
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return { ok: false, hard: true, reason: t('src_notJson') };
    }
    const state = readTaskSource(value);
    if ('invalid' in state) return { ok: false, hard: true, reason: state.invalid };
    return { ok: true, state };
  } catch {
    if (signal.aborted) throw cancelled();
    const slow = ctrl.signal.aborted;
    return { ok: false, hard: false, reason: t(slow ? 'src_slow' : 'src_unreachable'), network: !slow };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls a task source until the job completes or fails, with a delay that starts short and grows
 * while nothing changes (or the relay errs), and resets when the job moves on. Rejects only with a
 * 'cancelled' RelayError (the signal); every other way of not knowing ends as outcome 'lost'.
 */
export async function followTaskSource(rawUrl: string, opts: FollowOptions = {}): Promise<FollowResult> {
  const url = safeHttpUrl(rawUrl);
  if (!url) return { outcome: 'lost', reason: t('src_badLink') };
  const {
    fetch: doFetch = globalThis.fetch.bind(globalThis),
    now = Date.now,
    sleep = abortableSleep,
    random = Math.random,
    signal = new AbortController().signal,
    minDelayMs = 1_000,
    maxDelayMs = 15_000,
    factor = 1.5,
    requestTimeoutMs = 20_000,
    maxHardErrors = 5,
    maxCompletedWithoutLink = 3,
    maxFailingMs = 10 * 60_000,
  } = opts;
  const redact = (s: string) => redactSecret(s, opts.secret);

  let delay = minDelayMs;
  let hardErrors = 0;
  let completedWithoutLink = 0;
  let last: TaskSourceState | undefined;
  let lastProblem = '';
  /** When the current run of failed polls began (undefined while polls succeed). */
  let failingSince: number | undefined;
  for (;;) {
    if (signal.aborted) throw cancelled();
    const answer = await pollOnce(url, doFetch, signal, requestTimeoutMs, now);
    let wait: number | undefined;
    if (answer.ok) {
      hardErrors = 0;
      failingSince = undefined;
      const state = answer.state;
      if (state.failure) state.failure = redact(state.failure);
      if (state.status === 'failed') return { outcome: 'failed', state, failure: state.failure ?? t('generationFailed') };
      if (state.videoUrl && (state.status === 'completed' || state.status === 'unknown'))
        return { outcome: 'completed', state: { ...state, status: 'completed', progress: 100, videoUrl: state.videoUrl } };
      if (state.status === 'completed') {
        completedWithoutLink++;
        if (completedWithoutLink >= maxCompletedWithoutLink) return { outcome: 'lost', reason: t('src_noVideoLink') };
      }
      const moved = !last || last.status !== state.status;
      await opts.onUpdate?.(state);
      last = state;
      delay = moved ? minDelayMs : Math.min(maxDelayMs, delay * factor);
    } else {
      lastProblem = answer.reason;
      if (answer.hard && ++hardErrors >= maxHardErrors) return { outcome: 'lost', reason: answer.reason };
      if (await opts.onFailure?.({ reason: answer.reason, network: answer.network === true }))
        return { outcome: 'lost', reason: answer.reason };
      failingSince ??= now();
      if (now() - failingSince >= maxFailingMs)
        return { outcome: 'lost', reason: t('src_keptFailing', { d: durationWords(maxFailingMs), reason: answer.reason }) };
      delay = Math.min(maxDelayMs, delay * factor);
      if (answer.retryAfterMs !== undefined) wait = Math.min(Math.max(answer.retryAfterMs, delay), 5 * 60_000);
    }
    wait ??= delay * (0.8 + 0.4 * random());
    if (opts.deadline !== undefined && now() + wait > opts.deadline)
      return { outcome: 'lost', reason: lastProblem && !last ? lastProblem : t('src_deadline') };
    await sleep(wait, signal);
  }
}

/** "10 min", "45 s" (the chat stream's wording, without importing the stream client here). */
function durationWords(ms: number): string {
  const s = ms / 1000;
  return s < 120 ? t('dur_s', { n: Math.round(s * 10) / 10 }) : t('dur_min', { n: Math.round((s / 60) * 10) / 10 });
}
