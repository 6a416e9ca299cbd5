import { apiUrl } from '../chat/stream-client';
import { cancelled, RelayError, redactSecret } from '../relay/errors';
import { errorTitle } from '../relay/error-text';
import { readServerError, relayErrorFromHttp, withDetail } from '../relay/http-error';
import { t } from '../i18n';
import { isRecord } from '../is-record';
import { jobIdOf, readJob, type JobState } from './job-state';

/**
 * The OpenAI Videos job API as relays serve it (QuantumNous/new-api, chenyme/grok2api ≤ 2.0):
 * create, read, remix, and the keyed download. Every request carries the key to the relay's own
 * origin only, never follows a redirect, and sends no cookies.
 */

export interface VideosRelay {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Bound on one API call (tests shorten it); REQUEST_TIMEOUT_MS by default. */
  timeoutMs?: number;
}

export interface ReferenceImage {
  blob: Blob;
  /** e.g. `first-frame.jpg`: some relays check the name's extension. */
  name: string;
}

export interface CreateJob {
  model: string;
  prompt: string;
  /** A whole number of seconds as the relay expects it (new-api wants a string, grok2api a form field). */
  seconds?: string;
  /** `720x1280` and the like. */
  size?: string;
  images?: readonly ReferenceImage[];
  /** The form part the images go in: `input_reference` (OpenAI, new-api) or `input_reference[]` (grok2api). */
  imageField?: string;
  signal?: AbortSignal;
}

const MAX_JSON_BYTES = 256 * 1024;
/**
 * How long one API call (a create, a read, a remix: small JSON answers) may take before it counts
 * as failed: a relay that accepts the connection and never answers must not hold a turn forever.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** `{base}/v1/videos[/{id}[/{action}]]` */
export function videosUrl(baseUrl: string, id?: string, action?: 'content' | 'remix'): string {
  const parts = ['videos'];
  if (id !== undefined) parts.push(encodeURIComponent(id));
  if (action) parts.push(action);
  return apiUrl(baseUrl, parts.join('/'));
}

function keyed(relay: VideosRelay, init: RequestInit & { accept?: string }): RequestInit {
  const { accept = 'application/json', ...rest } = init;
  return {
    ...rest,
    headers: { Authorization: `Bearer ${relay.apiKey}`, Accept: accept, ...(rest.headers as Record<string, string> | undefined) },
    credentials: 'omit',
    cache: 'no-store',
    // A redirect would take the key to wherever it points.
    redirect: 'error',
  };
}

/** One API call, bounded whole by the relay's `timeoutMs`: a relay that never answers must not hold a job forever. */
async function send(relay: VideosRelay, url: string, init: RequestInit): Promise<Response> {
  const timeoutMs = relay.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const caller = init.signal ?? undefined;
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = caller ? AbortSignal.any([caller, timer]) : timer;
  try {
    return await (relay.fetch ?? globalThis.fetch)(url, { ...init, signal });
  } catch (error) {
    if (caller?.aborted) throw cancelled();
    if (timer.aborted) throw new RelayError('timeout', t('jobs_noAnswer', { s: Math.round(timeoutMs / 1000) }), { cause: error });
    const detail = redactSecret(error instanceof Error ? error.message : String(error), relay.apiKey);
    throw new RelayError('network', withDetail(errorTitle('network'), detail.slice(0, 200)), { cause: error });
  }
}

/** The body as text, read up to a bound (an error page or a job object is small). */
async function bodyText(res: Response, max = MAX_JSON_BYTES): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      bytes += value.byteLength;
      text += decoder.decode(value, { stream: true });
      if (bytes > max) return text;
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}

async function failureOf(res: Response, relay: VideosRelay): Promise<RelayError> {
  return relayErrorFromHttp(res.status, res.headers, await bodyText(res, 32 * 1024), relay.apiKey);
}

async function jobAnswer(res: Response, relay: VideosRelay): Promise<JobState> {
  const body = await bodyText(res);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new RelayError('protocol', withDetail(errorTitle('protocol'), t('proto_badJson')), { status: res.status });
  }
  const state = readJob(value);
  if (state.failure) state.failure = redactSecret(state.failure, relay.apiKey);
  return state;
}

/** POST /v1/videos as multipart/form-data (grok2api takes nothing else; new-api takes both). */
export async function createJob(relay: VideosRelay, job: CreateJob): Promise<JobState & { id: string }> {
  const form = new FormData();
  form.append('model', job.model);
  form.append('prompt', job.prompt);
  if (job.seconds) form.append('seconds', job.seconds);
  if (job.size) form.append('size', job.size);
  for (const image of job.images ?? []) form.append(job.imageField ?? 'input_reference', image.blob, image.name);
  const res = await send(relay, videosUrl(relay.baseUrl), keyed(relay, { method: 'POST', body: form, signal: job.signal }));
  if (!res.ok) throw await failureOf(res, relay);
  const state = await jobAnswer(res, relay);
  if (!state.id) throw new RelayError('protocol', withDetail(errorTitle('protocol'), t('jobs_noId')), { status: res.status });
  return state as JobState & { id: string };
}

/** Why a read of a job did not give its state. */
export type JobReadProblem =
  /** The relay no longer knows the id (new-api `task_not_exist`, grok2api after an hour or a restart). */
  | 'gone'
  /** The key was refused (new-api refuses exhausted keys even for reading a job). */
  | 'auth';

export class JobReadError extends RelayError {
  constructor(
    readonly problem: JobReadProblem,
    from: RelayError,
  ) {
    super(from.kind, from.message, { status: from.status, serverMessage: from.serverMessage, code: from.code });
  }
}

/** The relay's way of saying an id is unknown, from its error body. */
function saysUnknownId(status: number, body: string): boolean {
  if (status === 404) return true;
  if (status !== 400) return false;
  const info = readServerError(body);
  if (info.code === 'task_not_exist') return true;
  try {
    const value: unknown = JSON.parse(body);
    const error = isRecord(value) && isRecord(value.error) ? value.error : undefined;
    return error?.param === 'video_id';
  } catch {
    return false;
  }
}

/** GET /v1/videos/{id}. Throws JobReadError for a forgotten id or a refused key, RelayError otherwise. */
export async function readJobState(relay: VideosRelay, id: string, signal?: AbortSignal): Promise<JobState> {
  const res = await send(relay, videosUrl(relay.baseUrl, id), keyed(relay, { signal }));
  if (res.ok) return jobAnswer(res, relay);
  const body = await bodyText(res, 32 * 1024);
  const error = relayErrorFromHttp(res.status, res.headers, body, relay.apiKey);
  if (saysUnknownId(res.status, body)) throw new JobReadError('gone', error);
  if (res.status === 401 || res.status === 403) throw new JobReadError('auth', error);
  throw error;
}

/** The relay has no remix for this job: say so, and offer a new video from the instruction instead. */
export class RemixUnsupportedError extends RelayError {}

/**
 * POST /v1/videos/{id}/remix `{prompt}`. grok2api has no such route (404), new-api answers 400
 * `task_not_exist` or passes an upstream's 404/405 on: all of them mean "no remix here".
 */
export async function remixJob(relay: VideosRelay, id: string, prompt: string, signal?: AbortSignal): Promise<JobState & { id: string }> {
  const res = await send(
    relay,
    videosUrl(relay.baseUrl, id, 'remix'),
    keyed(relay, { method: 'POST', body: JSON.stringify({ prompt }), headers: { 'Content-Type': 'application/json' }, signal }),
  );
  if (!res.ok) {
    const body = await bodyText(res, 32 * 1024);
    const error = relayErrorFromHttp(res.status, res.headers, body, relay.apiKey);
    const info = readServerError(body);
    const unsupported =
      res.status === 404 ||
      res.status === 405 ||
      res.status === 501 ||
      (res.status === 400 && /task_(origin_)?not_exist|fail_to_fetch_task/.test(`${info.code ?? ''} ${info.message ?? ''}`));
    if (unsupported) {
      throw new RemixUnsupportedError('not-found', withDetail(t('jobs_noRemix'), error.serverMessage), {
        status: res.status,
        serverMessage: error.serverMessage,
        code: 'remix_unsupported',
      });
    }
    throw error;
  }
  const state = await jobAnswer(res, relay);
  const newId = jobIdOf(state.id);
  if (!newId) throw new RelayError('protocol', withDetail(errorTitle('protocol'), t('jobs_noId')), { status: res.status });
  return { ...state, id: newId };
}
