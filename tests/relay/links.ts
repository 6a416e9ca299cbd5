import type { ServerResponse } from 'node:http';

/*
 * Media links that die, as relay and CDN links do (sora2api caches 10 min, signed CDN links
 * 1–24 h): after `ttlMs` from when the link was handed out, or at once on `expireAll()`.
 * A dead link answers like an object store: 403 AccessDenied "Request has expired" (signed
 * URL past its expiry) or 404 NoSuchKey (file cleaned up). Keyed API routes
 * (/v1/videos/{id}/content) are not media links and never pass through here.
 *
 * "Handed out" is when the relay issued the link (a chat job's files, a video job's CDN link
 * when the job completes); a media path the relay never issued (a relay:* fixture's URL) counts
 * as handed out the first time it is requested.
 */
export type ExpiredStatus = 403 | 404;

export class MediaLinks {
  /** Lifetime of every link, from its issue; undefined = links never expire on their own. */
  ttlMs: number | undefined;
  expiredStatus: ExpiredStatus;
  private readonly issued = new Map<string, number>();
  private cutoff = Number.NEGATIVE_INFINITY;

  constructor(opts: { ttlMs?: number; expiredStatus?: ExpiredStatus } = {}) {
    this.ttlMs = opts.ttlMs;
    this.expiredStatus = opts.expiredStatus ?? 403;
  }

  /** Notes a link as handed out now (or at `at`); a link issued twice keeps its first time. */
  issue(url: string, at = Date.now()): void {
    const path = pathOf(url);
    if (!this.issued.has(path)) this.issued.set(path, at);
  }

  /** When the link at this path was handed out, if it was. */
  issuedAt(url: string): number | undefined {
    return this.issued.get(pathOf(url));
  }

  /** Every link handed out so far dies now; links issued later live their own ttl. */
  expireAll(now = Date.now()): void {
    this.cutoff = now;
  }

  isExpired(path: string, now = Date.now()): boolean {
    const at = this.issued.get(path);
    if (at === undefined) {
      this.issued.set(path, now);
      return false;
    }
    return at <= this.cutoff || (this.ttlMs !== undefined && now - at >= this.ttlMs);
  }

  sendExpired(res: ServerResponse): void {
    sendStoreError(res, this.expiredStatus);
  }

  reset(): void {
    this.issued.clear();
    this.cutoff = Number.NEGATIVE_INFINITY;
  }
}

function pathOf(url: string): string {
  return url.startsWith('/') ? url.split('?')[0]! : new URL(url).pathname;
}

/** An object store's refusal: 403 AccessDenied (signed URL expired) or 404 NoSuchKey. */
export function sendStoreError(res: ServerResponse, status: ExpiredStatus): void {
  const [code, message] = status === 403 ? ['AccessDenied', 'Request has expired'] : ['NoSuchKey', 'The specified key does not exist.'];
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) }).end(body);
}
