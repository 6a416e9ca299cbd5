/**
 * The only gate through which a server-provided link reaches the UI, a download or a fetch:
 * anything that is not an absolute http(s) URL (javascript:, data:, relative junk) is dropped.
 */
export function safeHttpUrl(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const trimmed = raw.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!url.hostname) return undefined;
  return url.href;
}
