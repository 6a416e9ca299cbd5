import { browser } from 'wxt/browser';
import { DEFAULT_SETTINGS, type Settings } from './settings-core';
import { SETTINGS_KEY } from '../threads/storage-keys';

export * from './settings-core';

const FLAVOURS = new Set(['new-api', 'grok2api', 'openai', 'xai', 'absent', 'unknown']);

/**
 * Settings live under one key of storage.local and are read through `coerce`, so a field that is
 * missing (added in a later version) or damaged (hand edit) falls back to its default instead of
 * breaking a page. Plain storage.local rather than @wxt-dev/storage: that library alone costs
 * every page and the background ~2.6 KB gzipped.
 */
export function coerceSettings(raw: unknown): Settings {
  const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const d = DEFAULT_SETTINGS;
  const str = (k: 'baseUrl' | 'apiKey' | 'model') => (typeof s[k] === 'string' ? s[k] : d[k]);
  const num = (k: 'concurrency' | 'stallTimeoutMin') => (typeof s[k] === 'number' && Number.isFinite(s[k]) ? s[k] : d[k]);
  const models = Array.isArray(s.models) ? s.models.filter((m): m is string => typeof m === 'string') : [];
  return {
    ...(s as Partial<Settings>),
    baseUrl: str('baseUrl'),
    apiKey: str('apiKey'),
    protocol: s.protocol === 'jobs' ? 'jobs' : 'chat',
    videosFlavour:
      typeof s.videosFlavour === 'string' && FLAVOURS.has(s.videosFlavour) ? (s.videosFlavour as Settings['videosFlavour']) : '',
    model: str('model') || d.model,
    models: models.length ? models : [...d.models],
    concurrency: num('concurrency'),
    stallTimeoutMin: num('stallTimeoutMin'),
    notifications: typeof s.notifications === 'boolean' ? s.notifications : d.notifications,
    language: s.language === 'en' || s.language === 'zh-CN' ? s.language : d.language,
    plainHttpOrigin: typeof s.plainHttpOrigin === 'string' ? s.plainHttpOrigin : d.plainHttpOrigin,
  };
}

export async function loadSettings(): Promise<Settings> {
  return coerceSettings((await browser.storage.local.get(SETTINGS_KEY))[SETTINGS_KEY]);
}

export async function saveSettings(s: Settings): Promise<void> {
  await browser.storage.local.set({ [SETTINGS_KEY]: s });
}

export function watchSettings(cb: () => void): () => void {
  const listener = (changes: Record<string, unknown>, area: string) => {
    if (area === 'local' && SETTINGS_KEY in changes) cb();
  };
  browser.storage.onChanged.addListener(listener);
  return () => browser.storage.onChanged.removeListener(listener);
}
