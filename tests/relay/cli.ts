// `npm run relay`: a mock relay on a fixed port for trying the extension by hand.
import { RELAY_FIXTURES } from '../fixtures/relays/index';
import { DEFAULT_MODELS, FIXTURE_SCENARIO_NAMES, SCENARIO_NAMES, startRelay, VIDEO_FLAVOURS, type VideoFlavour } from './index';
import { toSpec } from './scenarios';

const port = Number(process.env.RELAY_PORT ?? 8787);
// The real relays' own model names too, so their scenarios can be tried with the model they serve.
const models = process.env.RELAY_MODELS?.split(',')
  .map((m) => m.trim())
  .filter(Boolean) ?? [...new Set([...DEFAULT_MODELS, ...RELAY_FIXTURES.map((f) => f.model)])];
const scenario = process.env.RELAY_SCENARIO ? toSpec({ name: process.env.RELAY_SCENARIO }) : undefined;
const videos = (process.env.RELAY_VIDEOS ?? 'new-api') as VideoFlavour;
if (!VIDEO_FLAVOURS.includes(videos)) throw new Error(`RELAY_VIDEOS=${videos}: expected one of ${VIDEO_FLAVOURS.join(', ')}`);
const linkTtlMs = process.env.RELAY_LINK_TTL_MS ? Number(process.env.RELAY_LINK_TTL_MS) : undefined;
const relay = await startRelay({
  port,
  host: process.env.RELAY_HOST ?? '127.0.0.1',
  apiKey: process.env.RELAY_KEY,
  models,
  scenario,
  videos,
  linkTtlMs,
  ...(process.env.RELAY_CDN_PORT ? { cdnPort: Number(process.env.RELAY_CDN_PORT) } : {}),
});
const videoModel = videos === 'grok2api' ? 'grok-imagine-video' : 'sora-2';
const videoSeconds = videos === 'grok2api' ? '6' : '8';
const reference = videos === 'grok2api' ? 'input_reference[]' : 'input_reference';

console.log(`Mock relay listening on ${relay.url}
  API base URL: ${relay.url}   API key: ${relay.apiKey}   models: ${relay.models.join(', ')}

Switch the scenario for every next request:
  curl -X POST ${relay.url}/__relay/scenario -d '{"name":"english"}'
  curl -X POST ${relay.url}/__relay/scenario -d '{"name":"http-error","status":429,"retryAfter":20}'
A real relay's answer (tests/fixtures/relays), at its own pacing fitted to ~2.4 s, or 'slow' times that:
  curl -X POST ${relay.url}/__relay/scenario -d '{"name":"relay:grok2api/relative-url","slow":4}'
Queue scenarios for the next requests only (then back to the default):
  curl -X POST ${relay.url}/__relay/enqueue -d '[{"name":"drop"},{"name":"seed","slow":3}]'
Inspect / reset:
  curl ${relay.url}/__relay/requests     curl ${relay.url}/__relay/state     curl -X POST ${relay.url}/__relay/reset

Scenarios: ${SCENARIO_NAMES.filter((n) => !n.startsWith('relay:')).join(', ')}
Real relays: ${FIXTURE_SCENARIO_NAMES.join(', ')}
Start with one: RELAY_SCENARIO=relay:flow2api/success npm run relay   (RELAY_MODELS=a,b sets the model list)
Params: framing, delayMs, progressDelayMs, slow, noSource, reason, status, body ('json'|'text'), message,
        retryAfter, afterEvents, sizeBytes

Video jobs API (/v1/videos), answering as ${videos}   (RELAY_VIDEOS=${VIDEO_FLAVOURS.join('|')}; default new-api)
  curl -H 'Authorization: Bearer ${relay.apiKey}' -F model=${videoModel} -F 'prompt=A corgi surfing' -F seconds=${videoSeconds} \\
       -F '${reference}=@tests/fixtures/media/preview.jpg;type=image/jpeg' ${relay.url}/v1/videos
  curl -H 'Authorization: Bearer ${relay.apiKey}' ${relay.url}/v1/videos/<id>
  curl -H 'Authorization: Bearer ${relay.apiKey}' -o video.mp4 ${relay.url}/v1/videos/<id>/content
  curl -H 'Authorization: Bearer ${relay.apiKey}' -H 'Content-Type: application/json' -d '{"prompt":"now at night"}' ${relay.url}/v1/videos/<id>/remix
Switch flavour, or set how the next jobs go (see tests/relay/videos.ts for every key):
  curl -X POST ${relay.url}/__relay/videos/flavour -d '{"flavour":"grok2api"}'
  curl -X POST ${relay.url}/__relay/videos/scenario -d '{"outcome":"failed","reason":"quota exhausted"}'
  curl -X POST ${relay.url}/__relay/videos/enqueue -d '[{"failure":"no-message","outcome":"failed"},{"remix":"unsupported"}]'
  curl ${relay.url}/__relay/videos/jobs     curl -X POST ${relay.url}/__relay/videos/forget
Media links (chat files, the CDN at ${relay.cdnUrl}) expire on command or after RELAY_LINK_TTL_MS:
  curl -X POST ${relay.url}/__relay/expire-links     curl -X POST ${relay.url}/__relay/links -d '{"ttlMs":60000,"status":404}'`);

const stop = () => void relay.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
