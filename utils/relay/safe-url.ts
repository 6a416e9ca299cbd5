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

/**
 * A link from a relay's answer, which may be relative to the relay itself (grok2api answers
 * `/v1/files/video?id=…`): root-relative paths resolve against `base`; the result still passes
 * `safeHttpUrl`. Protocol-relative (`//host/…`) and path-relative links are not accepted: what
 * they point at depends on guesses about the relay's layout.
 */
export function resolveHttpUrl(raw: string, base: string | undefined): string | undefined {
  const trimmed = raw.trim();
  if (trimmed.startsWith('/')) {
    if (!base || trimmed.startsWith('//') || trimmed.startsWith('/\\')) return undefined;
    try {
      return safeHttpUrl(new URL(trimmed, base).href);
    } catch {
      return undefined;
    }
  }
  return safeHttpUrl(trimmed);
}
