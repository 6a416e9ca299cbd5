import type { RelayError } from './errors';

export interface ChatMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface ChatRequest {
  /** e.g. https://relay.example.com or https://relay.example.com/v1 (both accepted). */
  baseUrl: string;
  apiKey: string;
  model: string;
  messages: ChatMessage[];
  signal?: AbortSignal;
  /** Abort with a 'timeout' RelayError after this long without a byte. Default 10 min. */
  stallTimeoutMs?: number;
  /** Injected for tests; defaults to globalThis.fetch. */
  fetch?: typeof fetch;
}

// Implementation lives below this line (see tests/unit/chat-stream.test.ts).
/** Streams the assistant's content deltas; throws RelayError for every failure. */
export async function* streamChat(_req: ChatRequest): AsyncGenerator<string, void, undefined> {
  throw new Error('not implemented yet') as unknown as RelayError;
}
