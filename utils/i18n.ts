import { browser } from 'wxt/browser';
import type en from '../public/_locales/en/messages.json';

/**
 * The UI's words in English and Simplified Chinese. The dictionaries are the extension's own
 * `_locales/<lang>/messages.json` files (Chrome's format, which also gives the manifest its name
 * and description), fetched at start-up rather than bundled, so no page ships them as JavaScript.
 * The language follows the browser unless Options overrides it (`chrome.i18n.getMessage` only
 * knows the browser's UI language, so it is not used).
 */
export type MessageKey = keyof typeof en;
export type Lang = 'en' | 'zh-CN';
export type LangPref = 'auto' | Lang;
export type Messages = Partial<Record<string, { message: string }>>;

let lang: Lang = 'en';
let dict: Messages = {};
let english: Messages = {};
let calls = 0;

/**
 * The language to show: the setting, else the first of the browser's preferred languages that we
 * ship ('zh', 'zh-CN', 'zh-Hans-SG', 'zh-TW' → Simplified Chinese, the only Chinese we ship).
 * `navigator.languages` is the browser's language list, in pages and in the service worker alike.
 */
export function pickLang(
  pref: LangPref | undefined,
  // Node (the unit tests) has no navigator.
  browserLangs: readonly string[] = (globalThis as { navigator?: Navigator }).navigator?.languages ?? [],
): Lang {
  if (pref === 'en' || pref === 'zh-CN') return pref;
  for (const l of browserLangs) {
    if (/^zh/i.test(l)) return 'zh-CN';
    if (/^en/i.test(l)) return 'en';
  }
  return 'en';
}

/** Installs the words of a language (and the English ones to fall back on). */
export function setMessages(next: Lang, messages: Messages, fallback = messages): void {
  lang = next;
  dict = messages;
  english = fallback;
}

const load = (l: Lang): Promise<Messages> =>
  fetch(browser.runtime.getURL(l === 'en' ? '/_locales/en/messages.json' : '/_locales/zh_CN/messages.json')).then((r) => r.json());

/**
 * Picks the language (the setting, else the browser's) and loads its words. Never rejects: if a
 * file cannot be read, the words already loaded stay.
 */
export async function initI18n(pref?: LangPref): Promise<Lang> {
  const next = pickLang(pref);
  const call = ++calls;
  try {
    const [messages, fallback] = await Promise.all([load(next), next === 'en' ? undefined : load('en')]);
    // Two quick changes of the setting: the words of the later one win, whichever loads first.
    if (call === calls) setMessages(next, messages, fallback);
  } catch {
    // Kept as it was: English, or the last language loaded.
  }
  return lang;
}

export function currentLang(): Lang {
  return lang;
}

/** `t('searchNone', {q: 'cat'})` fills `{q}`; a missing word falls back to English, then the key. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  const s = (dict[key] ?? english[key])?.message ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : s;
}

/** A count with the current language's separators: 1000 → "1,000". */
export function formatNumber(n: number): string {
  return n.toLocaleString(lang);
}

/** `<base>_one` or `<base>_other`: English says "1 thread", Chinese has no singular form. */
export function pluralKey<K extends string>(base: K, n: number): `${K}_one` | `${K}_other` {
  return `${base}_${n === 1 && lang === 'en' ? 'one' : 'other'}`;
}
