import { cancelled, RelayError, redactSecret } from './errors';
import { errorTitle } from './error-text';
import { relayErrorFromHttp, relayErrorFromPayload, truncate, withDetail } from './http-error';
import { t } from './i18n';
import { createSsePayloadDecoder } from './sse-payloads';

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
  /** After a finish_reason, end normally if no more content, no [DONE] and no close come within this (3 s). */
  finishGraceMs?: number;
  /** Injected for tests; defaults to globalThis.fetch. */
  fetch?: typeof fetch;
}

// Implementation lives below this line (see tests/unit/chat-stream.test.ts).

const DEFAULT_STALL_MS = 600_000;
// A usage chunk may still follow the finish_reason; then [DONE]. A relay that sends neither and
// keeps the socket open has still said everything: its answer ends here, not at the stall timeout.
const DEFAULT_FINISH_GRACE_MS = 3_000;
// Error bodies and non-stream JSON answers are read whole; these bound that.
const MAX_ERROR_BODY_BYTES = 32 * 1024;
const MAX_JSON_BODY_CHARS = 8 * 1024 * 1024;
/** How much of an unreadable answer a failure quotes. */
const SAMPLE_SHOWN = 120;

/**
 * `{base}/v1/{path}` for a base typed any way users type it: with or without a trailing `/`,
 * with or without `/v1`, even the full `/v1/chat/completions` endpoint pasted from docs.
 * `path` may be given as `models`, `/models` or `/v1/models`.
 */
export function apiUrl(baseUrl: string, path: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new RelayError('not-found', t('url_invalid'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RelayError('not-found', t('url_scheme'));
  }
  const prefix = url.pathname
    .replace(/\/+$/, '')
    .replace(/\/chat\/completions$/i, '')
    .replace(/\/v1$/i, '');
  const rest = path.replace(/^\/+/, '').replace(/^v1\//i, '');
  return `${url.origin}${prefix}/v1/${rest}`;
}

export function chatCompletionsUrl(baseUrl: string): string {
  return apiUrl(baseUrl, 'chat/completions');
}

interface ChunkLike {
  error?: unknown;
  choices?: { delta?: { content?: unknown }; message?: { content?: unknown }; finish_reason?: unknown }[];
}

/** Streams the assistant's content deltas; throws RelayError for every failure. */
export async function* streamChat(req: ChatRequest): AsyncGenerator<string, void, undefined> {
  const { apiKey, signal: external } = req;
  const url = chatCompletionsUrl(req.baseUrl);
  const doFetch = req.fetch ?? globalThis.fetch;
  const stallMs = req.stallTimeoutMs ?? DEFAULT_STALL_MS;
  if (external?.aborted) throw cancelled();

  // One controller aborts the request for every reason; the flags say which reason it was.
  const ctrl = new AbortController();
  let stalled = false;
  /** The relay finished its answer (finish_reason) and then left the stream open past the grace. */
  let finishedOpen = false;
  let grace: ReturnType<typeof setTimeout> | undefined;
  /** Headers arrived: a stall after this is a stream gone quiet, before it a request never answered. */
  let responded = false;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let lastByteAt = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // "Reset on every read" is done by moving lastByteAt: the timer re-arms itself for the
  // remainder, so a chunk costs one Date.now() rather than a clearTimeout/setTimeout pair.
  const checkStall = (): void => {
    const idle = Date.now() - lastByteAt;
    if (idle >= stallMs) {
      // Silence after the answer said it was finished is the same open socket, not a stall.
      if (grace !== undefined) finishedOpen = true;
      else stalled = true;
      ctrl.abort();
    } else {
      timer = setTimeout(checkStall, stallMs - idle);
    }
  };
  const onExternalAbort = (): void => ctrl.abort();
  // A pending read() only settles on abort if the body is tied to the fetch; cancel it so an
  // injected or polyfilled fetch behaves the same.
  ctrl.signal.addEventListener('abort', () => void reader?.cancel().catch(noop), { once: true });
  external?.addEventListener('abort', onExternalAbort, { once: true });
  timer = setTimeout(checkStall, stallMs);

  const failure = (error: unknown): RelayError => {
    if (external?.aborted) return cancelled();
    if (stalled) {
      return new RelayError('timeout', t(responded ? 'stallAfterAnswer' : 'stallBeforeAnswer', { d: durationText(stallMs) }));
    }
    if (error instanceof RelayError) return error;
    const detail = redactSecret(error instanceof Error ? error.message : String(error), apiKey);
    return new RelayError('network', withDetail(errorTitle('network'), truncate(detail, 200)), { cause: error });
  };
  /** The next chunk, or undefined at the end; throws (via failure) once aborted. */
  const read = async (r: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array | undefined> => {
    const { done, value } = await r.read();
    if (ctrl.signal.aborted) throw failure(undefined);
    if (done) return undefined;
    lastByteAt = Date.now();
    return value;
  };

  try {
    let response: Response;
    try {
      response = await abortable(
        doFetch(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'text/event-stream',
            Authorization: `Bearer ${apiKey}`,
          },
          body: JSON.stringify({ model: req.model, messages: req.messages, stream: true }),
          credentials: 'omit',
          cache: 'no-store',
          signal: ctrl.signal,
        }),
        ctrl.signal,
      );
    } catch (error) {
      throw failure(error);
    }
    responded = true;
    if (!response.body) {
      if (!response.ok) throw relayErrorFromHttp(response.status, response.headers, '', apiKey);
      throw protocolError(t('proto_noBody'), response.status);
    }
    reader = response.body.getReader();
    // An abort that landed between fetch resolving and getReader() found no reader to cancel.
    if (ctrl.signal.aborted) throw failure(undefined);

    if (!response.ok) {
      throw relayErrorFromHttp(response.status, response.headers, await readErrorBody(reader, read), apiKey);
    }
    if ((response.headers.get('content-type') ?? '').toLowerCase().includes('text/html')) {
      throw htmlError(response.status);
    }

    const pieces: string[] = [];
    let streamError: RelayError | undefined;
    let gotContent = false;
    const decoder = createSsePayloadDecoder((value) => {
      if (streamError !== undefined || typeof value !== 'object' || value === null) return;
      const chunk = value as ChunkLike;
      if (chunk.error !== undefined && chunk.error !== null) {
        streamError = relayErrorFromPayload(chunk.error, apiKey, response.status);
        return;
      }
      const choice = chunk.choices?.[0];
      const content = choice?.delta?.content;
      if (typeof content === 'string' && content !== '') {
        pieces.push(content);
        // More answer after a finish_reason: it was not the end after all (relays that send
        // "stop" early, or on every chunk); only an answer that then goes quiet has ended.
        clearTimeout(grace);
        grace = undefined;
      }
      // Some relays send "" instead of null on every chunk: only a real reason counts.
      if (typeof choice?.finish_reason === 'string' && choice.finish_reason !== '' && grace === undefined) {
        grace = setTimeout(() => {
          finishedOpen = true;
          ctrl.abort();
        }, req.finishGraceMs ?? DEFAULT_FINISH_GRACE_MS);
      }
    });

    // The body's first visible character decides its format: some relays ignore
    // stream:true (JSON), some label SSE as JSON, some serve an HTML page with a 200.
    const text = new TextDecoder();
    let mode: 'unknown' | 'sse' | 'json' = 'unknown';
    const jsonParts: string[] = [];
    let jsonChars = 0;
    for (;;) {
      // read() inlined: this loop runs once per network chunk, and a wrapping async function
      // would cost every chunk one more promise.
      const next = await reader.read();
      if (finishedOpen) break;
      if (ctrl.signal.aborted) throw failure(undefined);
      const bytes = next.done ? undefined : next.value;
      if (bytes !== undefined) lastByteAt = Date.now();
      const chunk = bytes === undefined ? text.decode() : text.decode(bytes, { stream: true });
      if (mode === 'unknown' && chunk !== '') {
        const first = firstVisibleChar(chunk);
        if (first === '<') throw htmlError(response.status);
        if (first !== undefined) mode = first === '{' || first === '[' ? 'json' : 'sse';
      }
      if (mode === 'sse') {
        if (chunk !== '') decoder.push(chunk);
        if (bytes === undefined) decoder.end();
      } else if (mode === 'json') {
        jsonParts.push(chunk);
        jsonChars += chunk.length;
        if (jsonChars > MAX_JSON_BODY_CHARS) throw protocolError(t('proto_jsonTooLarge'), response.status);
      }
      if (pieces.length !== 0) {
        gotContent = true;
        for (let i = 0; i < pieces.length; i++) yield pieces[i] as string;
        pieces.length = 0;
      }
      if (streamError !== undefined) throw streamError;
      if (decoder.done || bytes === undefined) break;
    }

    if (mode === 'unknown') throw protocolError(t('proto_empty'), response.status);
    if (mode === 'json') {
      const content = contentOfJsonAnswer(jsonParts.join(''), apiKey, response.status);
      if (content !== '') yield content;
      return;
    }
    if (decoder.parsed === 0 && (decoder.malformed > 0 || !decoder.done)) {
      throw protocolError(began(t('proto_noEvent'), decoder.sample, apiKey), response.status);
    }
    // Without [DONE], only content tells a finished answer from a dropped one.
    if (!decoder.done && !gotContent) {
      throw protocolError(t('proto_noContent'), response.status);
    }
  } catch (error) {
    // The answer was complete; only the read of its open socket was cut (our own verdicts on the
    // answer are RelayErrors and still stand).
    if (finishedOpen && !(error instanceof RelayError)) return;
    throw failure(error);
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
    external?.removeEventListener('abort', onExternalAbort);
    void reader?.cancel().catch(noop);
  }
}

/** A whole `chat.completion` object (relays that ignore stream:true), or an error object. */
function contentOfJsonAnswer(body: string, apiKey: string, status: number): string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw protocolError(began(t('proto_badJson'), body.slice(0, 1024), apiKey), status);
  }
  const answer = (typeof value === 'object' && value !== null ? value : {}) as ChunkLike;
  if (answer.error !== undefined && answer.error !== null) throw relayErrorFromPayload(answer.error, apiKey, status);
  const choice = answer.choices?.[0];
  const content = choice?.message?.content ?? choice?.delta?.content;
  if (typeof content !== 'string') throw protocolError(t('proto_jsonNoContent'), status);
  return content;
}

async function readErrorBody(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  read: (r: ReadableStreamDefaultReader<Uint8Array>) => Promise<Uint8Array | undefined>,
): Promise<string> {
  const text = new TextDecoder();
  let body = '';
  let bytes = 0;
  try {
    for (;;) {
      const chunk = await read(reader);
      if (chunk === undefined) return body + text.decode();
      body += text.decode(chunk, { stream: true });
      bytes += chunk.byteLength;
      if (bytes >= MAX_ERROR_BODY_BYTES) return body;
    }
  } catch (error) {
    // Cancel and stall win; a body cut short still leaves the status to report.
    if (error instanceof RelayError) throw error;
    return body;
  }
}

/** Settles with the promise, or rejects as soon as the signal aborts (even if fetch ignores it). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function firstVisibleChar(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 32 && code !== 0xfeff) return text[i];
  }
  return undefined;
}

function protocolError(detail: string, status?: number): RelayError {
  return new RelayError('protocol', withDetail(errorTitle('protocol'), detail), { status });
}

/**
 * The first characters of an unreadable answer say most about what the relay sent instead. The
 * key is hidden before the cut (a key straddling it would otherwise leave its start behind).
 */
function began(what: string, sample: string | undefined, apiKey: string): string {
  return sample === undefined ? what : t('proto_began', { what, text: truncate(redactSecret(sample, apiKey), SAMPLE_SHOWN) });
}

function htmlError(status: number): RelayError {
  return protocolError(t('proto_html'), status);
}

function noop(): void {}

/** "45 s", "10 min", "1.5 min" (in the current language). */
export function durationText(ms: number): string {
  const s = ms / 1000;
  return s < 120 ? t('dur_s', { n: Math.round(s * 10) / 10 }) : t('dur_min', { n: Math.round((s / 60) * 10) / 10 });
}
