// A bare in-memory `chrome.storage.local` for the node-side runs, installed before any module
// that reads `globalThis.chrome` (wxt/browser) is evaluated: import this first. Values are kept
// by reference (no cloning) so the stub itself costs next to nothing in the measurements.
type Items = Record<string, unknown>;

export const memoryStorage = new Map<string, unknown>();

function pick(keys: string | string[] | Items | null | undefined): Items {
  if (keys === null || keys === undefined) return Object.fromEntries(memoryStorage);
  const list = typeof keys === 'string' ? [keys] : Array.isArray(keys) ? keys : Object.keys(keys);
  const out: Items = {};
  for (const k of list) if (memoryStorage.has(k)) out[k] = memoryStorage.get(k);
  return out;
}

export function storeItems(items: Items): void {
  for (const [k, v] of Object.entries(items)) memoryStorage.set(k, v);
}

const noopEvent = { addListener() {}, removeListener() {}, hasListener: () => false };

(globalThis as unknown as { chrome: unknown }).chrome = {
  runtime: { id: 'sora-threads-bench', onMessage: noopEvent, getURL: (p: string) => p },
  storage: {
    local: {
      get: (keys?: string | string[] | Items | null) => Promise.resolve(pick(keys)),
      set: (items: Items) => {
        storeItems(items);
        return Promise.resolve();
      },
      remove: (keys: string | string[]) => {
        for (const k of typeof keys === 'string' ? [keys] : keys) memoryStorage.delete(k);
        return Promise.resolve();
      },
    },
    onChanged: noopEvent,
  },
};
