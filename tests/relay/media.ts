import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * Real, tiny media so a <video> element can load metadata and play. Made once with Debian's
 * ffmpeg (not needed to run the tests):
 *   ffmpeg -f lavfi -i testsrc2=size=160x90:rate=10:duration=2 -c:v libx264 -profile:v baseline
 *          -pix_fmt yuv420p -crf 35 -movflags +faststart -an sample.mp4
 *   ffmpeg -f lavfi -i testsrc2=size=160x90:rate=1:duration=1 -frames:v 1 preview.png (and .webp,
 *          and preview.jpg with -q:v 8)
 */
const MEDIA_DIR = new URL('../fixtures/media/', import.meta.url);

const TYPES = { mp4: 'video/mp4', webp: 'image/webp', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' } as const;
export type MediaExt = keyof typeof TYPES;

const cache = new Map<MediaExt, Buffer>();

export function mediaBytes(ext: MediaExt): Buffer {
  let bytes = cache.get(ext);
  if (!bytes) {
    bytes = readFileSync(new URL(ext === 'mp4' ? 'sample.mp4' : `preview.${ext === 'jpeg' ? 'jpg' : ext}`, MEDIA_DIR));
    cache.set(ext, bytes);
  }
  return bytes;
}

export const isMediaExt = (ext: string): ext is MediaExt => ext in TYPES;

/** grok2api's rule for its file ids (app/products/openai/router.py:582). */
const GROK_FILE_ID = /^[0-9a-f-]{16,36}$/;

/**
 * Which media a GET path serves: the mock relay's own `/files/<id>.<ext>`, and the shapes real
 * relays' answers link to (see tests/fixtures/relays): any path whose last segment ends in a
 * media extension (CDN links, `/tmp/<md5>.mp4` caches, `/cdn/…`), flow-content's extensionless
 * `/video/<uuid>`, and grok2api's `/v1/files/video?id=…` ('bad-id' when the id breaks its rule).
 * Everything here is public, as on the real hosts: no key.
 */
export function mediaRoute(path: string, query: URLSearchParams): MediaExt | 'bad-id' | undefined {
  if (path === '/v1/files/video') return GROK_FILE_ID.test(query.get('id') ?? '') ? 'mp4' : 'bad-id';
  if (path.startsWith('/v1/') || path.startsWith('/__relay/') || path.startsWith('/tasks/')) return undefined;
  if (/^\/video\/[0-9a-f-]{36}$/.test(path)) return 'mp4';
  const ext = /\.(\w+)$/.exec(path)?.[1]?.toLowerCase();
  return ext !== undefined && isMediaExt(ext) ? ext : undefined;
}

/** Serves a file with single-range support (206 / 416), as video players and downloads expect. */
export function serveMedia(req: IncomingMessage, res: ServerResponse, ext: MediaExt): void {
  const bytes = mediaBytes(ext);
  const total = bytes.length;
  const headers: Record<string, string | number> = {
    'Content-Type': TYPES[ext],
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-store',
  };
  const range = parseRange(req.headers.range, total);
  if (range === 'invalid') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${total}` }).end();
    return;
  }
  const [start, end] = range ?? [0, total - 1];
  const body = bytes.subarray(start, end + 1);
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Length': body.length,
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${total}` } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; a multi-range header is answered with its first range. */
export function parseRange(header: string | undefined, total: number): [number, number] | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, total - Number(m[2]));
    end = total - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
  }
  return start > end || start >= total ? 'invalid' : [start, end];
}
