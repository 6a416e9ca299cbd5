/** One key per thread plus a small index, so a progress write touches one thread, not the history. */
export const THREAD_PREFIX = 'thread:';
export const INDEX_KEY = 'threads:index';
export const SCHEMA_KEY = 'meta:schema';
export const SETTINGS_KEY = 'settings';
export const threadKey = (id: string) => `${THREAD_PREFIX}${id}`;
export const isThreadKey = (k: string) => k.startsWith(THREAD_PREFIX);
export const threadIdOf = (k: string) => k.slice(THREAD_PREFIX.length);
