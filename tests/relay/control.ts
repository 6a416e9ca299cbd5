import type { ServerResponse } from 'node:http';
import { sendError, sendJson } from './http-errors';
import type { ScenarioSpec } from './scenarios';
import type { Relay } from './server';
import { handleVideosControl } from './videos-control';

/**
 * `/__relay/*`: the same controls as the Relay object, over HTTP, for `npm run relay` users and
 * for tests that drive a relay they did not start. Not recorded in `requests`, no key needed.
 */
export function handleControl(relay: Relay, action: string, method: string, body: unknown, res: ServerResponse): void {
  try {
    if (method === 'OPTIONS') return void res.writeHead(204).end();
    if (handleVideosControl(relay, action, method, body, res)) return;
    if (method === 'POST' && action === 'scenario') {
      relay.setScenario(body as ScenarioSpec);
      sendJson(res, 200, { ok: true, scenario: relay.currentScenario });
      return;
    }
    if (method === 'POST' && action === 'enqueue') {
      const list = Array.isArray(body) ? body : body && typeof body === 'object' && 'scenarios' in body ? body.scenarios : [body];
      if (!Array.isArray(list)) throw new Error('expected a scenario, an array of them, or {scenarios: [...]}');
      relay.enqueue(...(list as ScenarioSpec[]));
      sendJson(res, 200, { ok: true, queued: relay.queued });
      return;
    }
    if (method === 'GET' && action === 'requests') {
      sendJson(res, 200, relay.requests);
      return;
    }
    if (method === 'GET' && action === 'state') {
      sendJson(res, 200, {
        scenario: relay.currentScenario,
        queued: relay.queued,
        openStreams: relay.openStreams,
        maxOpenStreams: relay.maxOpenStreams,
        jobs: relay.jobs,
        videos: {
          flavour: relay.videos.flavour,
          scenario: relay.videos.currentScenario,
          queued: relay.videos.queued,
          keyRevoked: relay.videos.keyRevoked,
        },
        videoJobs: relay.videoJobs.map((j) => ({ ...j, ...relay.videos.statusOf(j) })),
      });
      return;
    }
    if (method === 'POST' && action === 'reset') {
      relay.reset();
      sendJson(res, 200, { ok: true });
      return;
    }
    sendError(res, { status: 404, message: `unknown control ${method} /__relay/${action}`, code: 'not_found' });
  } catch (err) {
    sendError(res, {
      status: 400,
      message: err instanceof Error ? err.message : String(err),
      type: 'invalid_request_error',
      code: 'bad_control',
    });
  }
}
