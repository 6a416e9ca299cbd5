import { formatNumber, pluralKey, t } from '../i18n';
import type { VideosFlavour } from '../jobs/probe';
import type { ProtocolName } from '../threads/model';
import type { ConnectionResult } from './test-connection';

/** What the relay's Videos job API turned out to be, in words. */
export function describeVideos(flavour: VideosFlavour): string {
  switch (flavour) {
    case 'new-api':
      return t('conn_jobs_newapi');
    case 'grok2api':
      return t('conn_jobs_grok');
    case 'openai':
      return t('conn_jobs_openai');
    case 'xai':
      return t('conn_jobs_xai');
    case 'absent':
      return t('conn_jobs_absent');
    default:
      return t('conn_jobs_unknown');
  }
}

/**
 * "Test connection", in words: what works, or which field to fix. With the Video jobs protocol
 * chosen, a relay shown to have no Videos API (or xAI's other one) is not a working connection.
 */
export function describeConnection(r: ConnectionResult, protocol: ProtocolName = 'chat'): { ok: boolean; title: string; detail?: string } {
  if (r.ok) {
    const n = r.models.length;
    const models = n ? t(pluralKey('conn_ok', n), { n: formatNumber(n) }) : t('conn_ok_none');
    const videos = r.videos && describeVideos(r.videos);
    if (protocol === 'jobs' && (r.videos === 'absent' || r.videos === 'xai'))
      return { ok: false, title: t('conn_noJobs'), ...(videos && { detail: videos }) };
    return { ok: true, title: models, ...(videos && { detail: videos }) };
  }
  const detail = r.message;
  const title = (() => {
    switch (r.kind) {
      case 'auth':
        return t('conn_auth');
      case 'quota':
        return t('conn_quota');
      case 'network':
        return t('conn_network');
      case 'timeout':
        return t('conn_timeout');
      case 'incompatible':
        return t('conn_incompatible');
      case 'not-found':
        return t('conn_notfound');
      case 'rate-limit':
        return t('conn_rate');
      default:
        return t('conn_failed');
    }
  })();
  return { ok: false, title, detail };
}
