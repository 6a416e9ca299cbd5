import type { TurnError } from './errors';
import { t } from '../i18n';

type Kind =
  'auth' | 'quota' | 'rate' | 'bad' | 'notfound' | 'server' | 'network' | 'protocol' | 'timeout' | 'generation' | 'interrupted' | 'noremix';

/** Each failure's words: title `err_<kind>`, advice `err_<kind>_do` (both checked by the compiler). */
const KIND: Record<Exclude<TurnError['kind'], 'cancelled'>, Kind> = {
  auth: 'auth',
  quota: 'quota',
  'rate-limit': 'rate',
  'bad-request': 'bad',
  'not-found': 'notfound',
  server: 'server',
  network: 'network',
  protocol: 'protocol',
  timeout: 'timeout',
  generation: 'generation',
  interrupted: 'interrupted',
  'remix-unsupported': 'noremix',
};

/** A failure's title in the current language ("The relay refused the API key"). */
export function errorTitle(kind: TurnError['kind']): string {
  return kind === 'cancelled' ? t('status_cancelled') : t(`err_${KIND[kind]}`);
}

/** What a failure means for the user and what to do next, in plain words. */
export function describeError(e: TurnError): { title: string; advice?: string } {
  if (e.kind === 'cancelled') return { title: errorTitle(e.kind) };
  const k = KIND[e.kind];
  return {
    title: errorTitle(e.kind),
    advice: e.kind === 'rate-limit' && e.retryAfterSec ? t('err_rate_wait', { s: e.retryAfterSec }) : t(`err_${k}_do`),
  };
}
