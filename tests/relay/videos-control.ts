import type { ServerResponse } from 'node:http';
import { sendJson } from './http-errors';
import type { Relay } from './server';
import type { VideoFlavour, VideoJobSpec } from './videos';

/**
 * The Videos API's and the media links' part of `/__relay/*` (see tests/relay/videos.ts).
 * Returns false when the action is not one of them. Throws on bad input (answered 400).
 */
export function handleVideosControl(relay: Relay, action: string, method: string, body: unknown, res: ServerResponse): boolean {
  const o = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const key = `${method} ${action}`;
  switch (key) {
    case 'POST videos/flavour':
      relay.videos.setFlavour(o.flavour as VideoFlavour);
      sendJson(res, 200, { ok: true, flavour: relay.videos.flavour });
      return true;
    case 'POST videos/scenario':
      relay.setJobScenario(o);
      sendJson(res, 200, { ok: true, scenario: relay.videos.currentScenario });
      return true;
    case 'POST videos/enqueue': {
      const list = Array.isArray(body) ? body : [body];
      relay.enqueueJob(...(list as VideoJobSpec[]));
      sendJson(res, 200, { ok: true, queued: relay.videos.queued });
      return true;
    }
    case 'GET videos/jobs':
      sendJson(
        res,
        200,
        relay.videoJobs.map((j) => ({ ...j, ...relay.videos.statusOf(j) })),
      );
      return true;
    case 'POST videos/forget':
      if (o.id !== undefined && typeof o.id !== 'string') throw new Error('forget: id must be a string (or absent: every job)');
      relay.videos.forget(o.id);
      sendJson(res, 200, { ok: true });
      return true;
    case 'POST videos/key':
      if (typeof o.revoked !== 'boolean') throw new Error('key: expected {"revoked": true|false}');
      relay.videos.keyRevoked = o.revoked;
      sendJson(res, 200, { ok: true, keyRevoked: o.revoked });
      return true;
    case 'POST expire-links':
      relay.expireLinks();
      sendJson(res, 200, { ok: true });
      return true;
    case 'POST links': {
      if (o.ttlMs !== undefined && o.ttlMs !== null && typeof o.ttlMs !== 'number')
        throw new Error('links: ttlMs must be a number of ms (or null: never)');
      if (o.status !== undefined && o.status !== 403 && o.status !== 404) throw new Error('links: status must be 403 or 404');
      if ('ttlMs' in o) relay.links.ttlMs = (o.ttlMs as number | null) ?? undefined;
      if (o.status !== undefined) relay.links.expiredStatus = o.status;
      sendJson(res, 200, { ok: true, ttlMs: relay.links.ttlMs ?? null, status: relay.links.expiredStatus });
      return true;
    }
    default:
      return false;
  }
}
