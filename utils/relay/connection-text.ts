import { formatNumber, pluralKey, t } from '../i18n';
import type { ConnectionResult } from './test-connection';

/** "Test connection", in words: what works, or which field to fix. */
export function describeConnection(r: ConnectionResult): { ok: boolean; title: string; detail?: string } {
  if (r.ok) {
    const n = r.models.length;
    return { ok: true, title: n ? t(pluralKey('conn_ok', n), { n: formatNumber(n) }) : t('conn_ok_none') };
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
