import { apiUrl } from '../chat/stream-client';
import { RelayError } from './errors';
import { isRecord } from '../is-record';
import { relayErrorFromHttp } from './http-error';
import { t } from '../i18n';
import { probeVideos, type VideosFlavour } from '../jobs/probe';

export type ConnectionResult =
  { ok: true; models: string[]; videos?: VideosFlavour } | { ok: false; kind: RelayError['kind'] | 'incompatible'; message: string };

/**
 * "Test connection": GET /v1/models with the key, and a look at which Videos job API the relay
 * serves (a GET of a job that cannot exist, which costs nothing). Tells apart a bad key, an
 * unreachable host and a server that answers but is not OpenAI-compatible, so the user knows which
 * field to fix, and says which protocols it could confirm.
 */
export async function testConnection(
  baseUrl: string,
  apiKey: string,
  fetchFn: typeof fetch = fetch,
  timeoutMs = 15_000,
): Promise<ConnectionResult> {
  const [models, videos] = await Promise.all([
    listModels(baseUrl, apiKey, fetchFn, timeoutMs),
    probeVideos(baseUrl, apiKey, fetchFn, timeoutMs).catch(() => 'unknown' as const),
  ]);
  return models.ok ? { ...models, videos } : models;
}

async function listModels(baseUrl: string, apiKey: string, fetchFn: typeof fetch = fetch, timeoutMs = 15_000): Promise<ConnectionResult> {
  let url: string;
  try {
    url = apiUrl(baseUrl, 'models');
  } catch (e) {
    return { ok: false, kind: 'not-found', message: (e as Error).message };
  }
  let res: Response;
  try {
    res = await fetchFn(url, {
      headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
      // Never follow a redirect with the key: it would carry it to wherever the relay points.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    return {
      ok: false,
      kind: timedOut ? 'timeout' : 'network',
      message: timedOut ? t('conn_noAnswerIn', { s: timeoutMs / 1000 }) : t('conn_cannotReach', { origin: new URL(url).origin }),
    };
  }
  // A browser hides the redirect (an opaque answer, status 0); other fetches show the 3xx.
  if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
    void res.body?.cancel().catch(() => {});
    return { ok: false, kind: 'not-found', message: t('conn_redirect', { origin: new URL(url).origin }) };
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) {
    const err = relayErrorFromHttp(res.status, res.headers, body, apiKey);
    return { ok: false, kind: err.kind, message: err.message };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const data = (json as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) {
    return { ok: false, kind: 'incompatible', message: t('conn_noModelList') };
  }
  const models = data
    .map((m: unknown) => (typeof m === 'string' ? m : isRecord(m) ? m.id : undefined))
    .filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length < 200);
  return { ok: true, models: [...new Set(models)] };
}
