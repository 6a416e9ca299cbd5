import type { MediaStore } from './index';

export interface CopyUrl {
  url: string;
  blob: Blob;
  /** Frees the URL: call when the player leaves the screen or the download has started. */
  revoke(): void;
}

/**
 * An object URL for a complete copy, for a page's <video>, <img> or download. Only pages can do
 * this (a service worker has no URL.createObjectURL); undefined when there is no complete copy.
 * Touches the copy so eviction keeps what was just used.
 */
export async function openCopyUrl(store: MediaStore, key: string): Promise<CopyUrl | undefined> {
  const blob = await store.readBlob(key);
  if (!blob) return undefined;
  void store.touch(key).catch(() => undefined);
  const url = URL.createObjectURL(blob);
  let revoked = false;
  return {
    url,
    blob,
    revoke() {
      if (revoked) return;
      revoked = true;
      URL.revokeObjectURL(url);
    },
  };
}
