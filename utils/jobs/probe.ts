import { readServerError } from '../relay/http-error';
import { isRecord } from '../is-record';
import { videosUrl } from './videos-client';

/**
 * Which Videos API a relay serves, told without spending anything: a GET of a job id that cannot
 * exist answers differently on each (new-api: 400 `task_not_exist`; grok2api ≤ 2.0: 400 with
 * `param: video_id`; grok2api 3.x: 404 `response_not_found`, since it speaks xAI's shape).
 */
export type VideosFlavour =
  /** QuantumNous/new-api: reference images as `input_reference`. */
  | 'new-api'
  /** chenyme/grok2api ≤ 2.0: reference images as `input_reference[]`, no remix. */
  | 'grok2api'
  /** Answers like OpenAI's own Videos API (a JSON 404 for an unknown id). */
  | 'openai'
  /** xAI's `/v1/videos/generations` shape (grok2api 3.x): not the job API this extension speaks. */
  | 'xai'
  /** No Videos API at all (an HTML or text 404, or no such route). */
  | 'absent'
  /** The key was refused, or the relay was unreachable: nothing could be told. */
  | 'unknown';

const PROBE_ID = 'sora-threads-probe';

export async function probeVideos(
  baseUrl: string,
  apiKey: string,
  fetchFn: typeof fetch = fetch,
  timeoutMs = 15_000,
): Promise<VideosFlavour> {
  let res: Response;
  try {
    res = await fetchFn(videosUrl(baseUrl, PROBE_ID), {
      headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    return 'unknown';
  }
  const body = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const error = isRecord(json) && isRecord(json.error) ? json.error : undefined;
  const info = readServerError(body);
  if (res.status === 400 && info.code === 'task_not_exist') return 'new-api';
  if (res.status === 400 && error?.param === 'video_id') return 'grok2api';
  if (res.status === 404 && error?.code === 'response_not_found') return 'xai';
  if (res.status === 401 || res.status === 403) return 'unknown';
  if ((res.status === 404 || res.status === 400) && error) return 'openai';
  if (res.ok && isRecord(json) && 'status' in json) return 'openai';
  return res.status === 404 || res.status === 405 ? 'absent' : 'unknown';
}

/** The multipart name a flavour reads reference images from. */
export function imageFieldOf(flavour: VideosFlavour | undefined): string {
  return flavour === 'grok2api' ? 'input_reference[]' : 'input_reference';
}
