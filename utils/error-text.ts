import type { TurnError } from './errors';

/** What a failure means for the user and what to do next, in plain words. */
export function describeError(e: TurnError): { title: string; advice?: string } {
  switch (e.kind) {
    case 'auth':
      return { title: 'The relay refused the API key', advice: 'Check the API key in Options.' };
    case 'quota':
      return { title: 'No balance or quota left', advice: 'Top up your relay account, then retry.' };
    case 'rate-limit':
      return {
        title: 'Too many requests',
        advice: e.retryAfterSec ? `Wait ${e.retryAfterSec} s, then retry.` : 'Wait a minute, then retry.',
      };
    case 'bad-request':
      return { title: 'The relay rejected the request', advice: 'Change the prompt (it may break the content policy), then retry.' };
    case 'not-found':
      return { title: 'Model or endpoint not found', advice: 'Check the model name and the API base URL in Options.' };
    case 'server':
      return { title: 'The relay had an error', advice: 'Retry later; if it persists, contact your relay.' };
    case 'network':
      return { title: 'Connection lost', advice: 'Check your connection and that the relay is reachable.' };
    case 'protocol':
      return { title: 'Unexpected answer from the relay', advice: 'Check that the API base URL points to an OpenAI-compatible relay.' };
    case 'timeout':
      return { title: 'The relay stopped answering', advice: 'Retry later, or raise the stall timeout in Options.' };
    case 'cancelled':
      return { title: 'Cancelled' };
    case 'generation':
      return { title: 'The generation failed', advice: 'Change the prompt and retry.' };
    case 'interrupted':
      return {
        title: 'Stopped before it finished',
        advice: 'What was received is kept, and the relay may still finish this job (see its task page). Retry starts a new generation, billed again.',
      };
  }
}

