// `npm run relay`: a mock relay on a fixed port for trying the extension by hand.
import { RELAY_FIXTURES } from '../fixtures/relays/index';
import { DEFAULT_MODELS, FIXTURE_SCENARIO_NAMES, SCENARIO_NAMES, startRelay } from './index';
import { toSpec } from './scenarios';

const port = Number(process.env.RELAY_PORT ?? 8787);
// The real relays' own model names too, so their scenarios can be tried with the model they serve.
const models = process.env.RELAY_MODELS?.split(',').map((m) => m.trim()).filter(Boolean) ?? [...new Set([...DEFAULT_MODELS, ...RELAY_FIXTURES.map((f) => f.model)])];
const scenario = process.env.RELAY_SCENARIO ? toSpec({ name: process.env.RELAY_SCENARIO }) : undefined;
const relay = await startRelay({ port, host: process.env.RELAY_HOST ?? '127.0.0.1', apiKey: process.env.RELAY_KEY, models, scenario });

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
        retryAfter, afterEvents, sizeBytes`);

const stop = () => void relay.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
