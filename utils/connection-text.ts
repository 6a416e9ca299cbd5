import type { ConnectionResult } from './relay-models';

/** "Test connection", in words: what works, or which field to fix. */
export function describeConnection(r: ConnectionResult): { ok: boolean; title: string; detail?: string } {
  if (r.ok) {
    const n = r.models.length;
    return {
      ok: true,
      title: n ? `Connection OK. ${n} model${n === 1 ? '' : 's'} found.` : 'Connection OK. The relay listed no models; sora-2 and sora-2-pro are offered.',
    };
  }
  const detail = r.message;
  switch (r.kind) {
    case 'auth':
      return { ok: false, title: 'Bad API key: the relay refused it. Check the key and try again.', detail };
    case 'quota':
      return { ok: false, title: 'The relay accepted the key, but the account has no balance or quota left.', detail };
    case 'network':
      return { ok: false, title: 'Unreachable: nothing answered at that address. Check the URL and that the relay is running.', detail };
    case 'timeout':
      return { ok: false, title: 'Unreachable: the relay did not answer in time.', detail };
    case 'incompatible':
      return { ok: false, title: 'Not OpenAI-compatible: the server answered, but without a model list at /v1/models.', detail };
    case 'not-found':
      return { ok: false, title: 'Not found: check the API base URL (your relay’s address, with or without /v1).', detail };
    case 'rate-limit':
      return { ok: false, title: 'The relay is rate limiting requests right now; try again in a minute.', detail };
    default:
      return { ok: false, title: 'Connection failed.', detail };
  }
}
