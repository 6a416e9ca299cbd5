import { MediaStoreError } from './errors';
import { parseContentRange } from './resume';
import type { CopyMeta } from './types';

/** What a response means for a copy, read from its status and headers before any byte is stored. */
export interface ResponsePlan {
  /** 'start': these bytes are the whole file from byte 0; a number: they continue a copy at that offset. */
  from: 'start' | number;
  mime: string;
  /** The whole file's size, when the server said. */
  total?: number;
  etag?: string;
  lastModified?: string;
  sourceUrl?: string;
}

const UNKNOWN_MIME = 'application/octet-stream';

/** An expired or refused link often answers 200 with a page or JSON: never keep that as a video. */
function isNotMedia(essence: string): boolean {
  return (
    essence === 'text/html' ||
    essence === 'application/xhtml+xml' ||
    essence === 'application/json' ||
    essence.endsWith('+json') ||
    essence === 'text/xml' ||
    essence === 'application/xml'
  );
}

function mimeEssence(contentType: string | null): string | undefined {
  const essence = contentType?.split(';')[0]?.trim().toLowerCase();
  return essence && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(essence) ? essence : undefined;
}

function lengthOf(response: Response): number | undefined {
  // A compressed body's Content-Length counts the compressed bytes, not what the stream yields.
  const encoding = response.headers.get('Content-Encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return undefined;
  const raw = response.headers.get('Content-Length');
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return undefined;
  const length = Number(raw);
  return Number.isSafeInteger(length) ? length : undefined;
}

const SECRET_PARAM = /^(api[-_]?key|key|access[-_]?token|token|auth|authorization|password)$/i;

/**
 * The link as kept on the record: http(s) only (a data: URL would store the file twice),
 * without user:password, fragment, or any parameter that could hold an API key.
 */
export function cleanSourceUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.username = '';
  url.password = '';
  url.hash = '';
  for (const [name, value] of [...url.searchParams]) {
    if (SECRET_PARAM.test(name) || /^sk-/i.test(value)) url.searchParams.delete(name);
  }
  return url.toString();
}

/** Reads a response's status and headers into a plan, or the reason its bytes must not be stored. */
export function planFromResponse(response: Response, meta: CopyMeta): ResponsePlan {
  if (response.status !== 200 && response.status !== 206) {
    const why = response.type === 'opaque' ? 'an opaque (no-cors) response has no readable bytes' : `HTTP ${response.status}`;
    throw new MediaStoreError('http', `the link answered ${why}`, { status: response.status });
  }
  const essence = mimeEssence(response.headers.get('Content-Type'));
  if (essence !== undefined && isNotMedia(essence))
    throw new MediaStoreError('not-media', `the link answered ${essence}, not a ${meta.kind}`, { status: response.status });

  const base = {
    mime: meta.mime ?? essence ?? UNKNOWN_MIME,
    ...optional('etag', response.headers.get('ETag') ?? undefined),
    ...optional('lastModified', response.headers.get('Last-Modified') ?? undefined),
    ...optional('sourceUrl', cleanSourceUrl(meta.sourceUrl ?? response.url)),
  };
  if (response.status === 200) return { from: 'start', ...base, ...optional('total', lengthOf(response) ?? meta.size) };

  const range = parseContentRange(response.headers.get('Content-Range'));
  if (!range) throw new MediaStoreError('range-mismatch', 'a 206 answer without a readable Content-Range', { status: 206 });
  return { from: range.start === 0 ? 'start' : range.start, ...base, ...optional('total', range.total ?? meta.size) };
}

function optional<K extends string, V>(name: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, V>);
}
