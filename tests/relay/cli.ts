// `npm run relay`: a mock relay on a fixed port for trying the extension by hand.
import { SCENARIO_NAMES, startRelay } from './index';

const port = Number(process.env.RELAY_PORT ?? 8787);
const relay = await startRelay({ port, host: process.env.RELAY_HOST ?? '127.0.0.1', apiKey: process.env.RELAY_KEY });

console.log(`Mock relay listening on ${relay.url}
  API base URL: ${relay.url}   API key: ${relay.apiKey}   models: ${relay.models.join(', ')}

Switch the scenario for every next request:
  curl -X POST ${relay.url}/__relay/scenario -d '{"name":"english"}'
  curl -X POST ${relay.url}/__relay/scenario -d '{"name":"http-error","status":429,"retryAfter":20}'
Queue scenarios for the next requests only (then back to the default):
  curl -X POST ${relay.url}/__relay/enqueue -d '[{"name":"drop"},{"name":"seed","slow":3}]'
Inspect / reset:
  curl ${relay.url}/__relay/requests     curl ${relay.url}/__relay/state     curl -X POST ${relay.url}/__relay/reset

Scenarios: ${SCENARIO_NAMES.join(', ')}
Params: framing, delayMs, progressDelayMs, slow, noSource, reason, status, body ('json'|'text'), message,
        retryAfter, afterEvents, sizeBytes`);

const stop = () => void relay.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
