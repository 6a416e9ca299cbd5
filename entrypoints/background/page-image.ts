import { t } from '@/utils/i18n';
import { ImageProblem, MAX_SOURCE_BYTES, megabytes } from '@/utils/images/reference-image';
import { prepareImage, PrepareFailure, type PreparedImage } from '@/utils/images/prepare';
import { safeHttpUrl } from '@/utils/relay/safe-url';

/** Why an image of a web page could not be read, in a sentence for a notification. */
export class PageImageProblem extends Error {}

/**
 * An image of a web page (the context menu's `srcUrl`), read by the worker and prepared as the
 * popup prepares a file. Fetched as an anonymous request — no cookies, no referrer — so the page's
 * site learns nothing of the user through it and a private image is not read with their session.
 * A site that does not let other origins read it (CORS), refuses it, or serves something else
 * gets a sentence saying so and what to do instead.
 */
export async function readPageImage(srcUrl: string | undefined, fetchFn: typeof fetch = fetch): Promise<PreparedImage> {
  if (srcUrl?.startsWith('data:image/')) return prepared(await (await fetchFn(srcUrl)).blob());
  const url = safeHttpUrl(srcUrl);
  if (!url) throw new PageImageProblem(t('pageImage_noLink'));
  const host = new URL(url).host;
  let res: Response;
  try {
    res = await fetchFn(url, {
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      headers: { Accept: 'image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8' },
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    // A fetch that fails without a status is, for a page that just showed the image, CORS.
    throw new PageImageProblem(t('pageImage_blocked', { host }));
  }
  if (!res.ok) {
    void res.body?.cancel().catch(() => undefined);
    throw new PageImageProblem(t('pageImage_http', { host, status: res.status }));
  }
  const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== '' && !type.startsWith('image/') && type !== 'application/octet-stream') {
    void res.body?.cancel().catch(() => undefined);
    throw new PageImageProblem(t('pageImage_notImage', { type }));
  }
  return prepared(new Blob(await readAtMost(res, MAX_SOURCE_BYTES), { type: type.startsWith('image/') ? type : '' }));
}

/** Prepared here (a service worker is off every page's main thread), its problems worded. */
async function prepared(blob: Blob): Promise<PreparedImage> {
  try {
    return await prepareImage(blob);
  } catch (err) {
    if (err instanceof PrepareFailure) throw new ImageProblem(err.code, err.limit ? { max: megabytes(err.limit) } : undefined);
    throw err;
  }
}

/** The body, refused past `max` bytes without reading the rest. */
async function readAtMost(res: Response, max: number): Promise<Uint8Array<ArrayBuffer>[]> {
  const tooLarge = () => new ImageProblem('too-large', { max: megabytes(max) });
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    void res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const reader = res.body?.getReader();
  if (!reader) return parts;
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return parts;
    size += value.byteLength;
    if (size > max) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    parts.push(value);
  }
}
