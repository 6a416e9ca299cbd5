import { currentLang, formatNumber, pluralKey, t } from './i18n';

/** 75 → "1:15", 3725 → "1:02:05" (a clock reading, the same in every language we ship). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** A time today ("14:05"), else a date with the time ("Mar 3, 14:05" / "3月3日 14:05"), in the UI's language. */
export function formatWhen(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay
    ? d.toLocaleTimeString(currentLang(), { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(currentLang(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** 1 → "1 version", 3 → "3 versions", 1000 → "1,000 threads" (Chinese: "3 个版本"). */
export function plural(n: number, word: 'version' | 'thread'): string {
  return t(pluralKey(`n_${word}`, n), { n: formatNumber(n) });
}
