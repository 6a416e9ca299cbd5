import { isAborted } from '../aborted';
import { cancelled, RelayError, redactSecret } from '../relay/errors';
import { errorTitle } from '../relay/error-text';
import { relayErrorFromHttp, relayErrorFromPayload, truncate, withDetail } from '../relay/http-error';
import { t } from '../i18n';
import { createSsePayloadDecoder } from './sse-payloads';

export interface ChatMessage {
  role: 'user' | 'assistant' | 'system';
  /** Text, or OpenAI content parts when a user message carries images. */
  content: string | ContentPart[];
}

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/**
 * One piece of the answer. `content` is the assistant's text (what the next turn sends back);
 * `reasoning` is what relays such as sora2api, flow2api and grok2api stream as
 * `reasoning_content` (their progress lines): kept for the report, never sent back.
 */
export interface ChatDelta {
  content?: string;
  reasoning?: string;
}

export interface ChatRequest {
  /** e.g. https://relay.example.com or https://relay.example.com/v1 (both accepted). */
  baseUrl: string;
  apiKey: string;
  model: string;
  messages: ChatMessage[];
  signal?: AbortSignal;
  /**
   * Abort with a 'timeout' RelayError after this long without new content (bytes that carry no
   * content, such as `: ping` comments or empty deltas, do not count). Default 10 min.
   */
  stallTimeoutMs?: number;
  /** After a finish_reason, how long to wait for a usage chunk, [DONE] or close before ending (3 s). */
  finishGraceMs?: number;
  /**
   * Whether the answer read so far is a finished report (a video, or a failure). `[DONE]` and
   * `finish_reason` end the answer only when it is: real relays send them early (gpt4free-ts sends
   * `[DONE]` after its first step, some send `finish_reason` on every chunk). Called only when
   * such a marker arrives, after every delta before it has been handed out. Without it, a marker
   * ends the answer as OpenAI's API means it to.
   */
  isTerminal?: () => boolean;
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

interface ChoiceLike {
  delta?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown };
  message?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown };
  finish_reason?: unknown;
}

interface ChunkLike {
  error?: unknown;
  choices?: ChoiceLike[];
}

/** The reasoning text of a delta or message, under either name relays use. */
function reasoningOf(part: ChoiceLike['delta']): unknown {
  return part?.reasoning_content ?? part?.reasoning;
}

/** Streams the answer's content and reasoning deltas; throws RelayError for every failure. */
export async function* streamChat(req: ChatRequest): AsyncGenerator<ChatDelta, void, undefined> {
  const { apiKey, signal: external, isTerminal } = req;
  const url = chatCompletionsUrl(req.baseUrl);
  const doFetch = req.fetch ?? globalThis.fetch;
  const stallMs = req.stallTimeoutMs ?? DEFAULT_STALL_MS;
  const graceMs = req.finishGraceMs ?? DEFAULT_FINISH_GRACE_MS;
  if (external?.aborted) throw cancelled();

  // One controller aborts the request for every reason; the flags say which reason it was.
  const ctrl = new AbortController();
  let stalled = false;
  /**
   * The relay finished its answer (a finished report and a finish_reason) and then left the stream
   * open. Set by onGrace: `as boolean` keeps TypeScript from taking it for false everywhere.
   */
  let finishedOpen = false as boolean;
  let grace: ReturnType<typeof setTimeout> | undefined;
  /** Headers arrived: a stall after this is a stream gone quiet, before it a request never answered. */
  let responded = false;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  // The stall clock runs on content, not bytes: a relay whose job died can keep the socket busy
  // with `: ping` comments or empty deltas forever.
  let lastContentAt = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // "Reset on every delta" is done by moving lastContentAt: the timer re-arms itself for the
  // remainder, so a chunk costs one Date.now() rather than a clearTimeout/setTimeout pair.
  const checkStall = (): void => {
    const idle = Date.now() - lastContentAt;
    if (idle >= stallMs) {
      stalled = true;
      ctrl.abort();
    } else {
      timer = setTimeout(checkStall, stallMs - idle);
    }
  };
  const terminal = (): boolean => (isTerminal ? isTerminal() : true);
  const onGrace = (): void => {
    grace = undefined;
    // Not finished after all (an early or every-chunk finish_reason): read on.
    if (!terminal()) return;
    finishedOpen = true;
    ctrl.abort();
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
          // The key must not follow a redirect to another origin.
          redirect: 'error',
          signal: ctrl.signal,
        }),
        ctrl.signal,
      );
    } catch (error) {
      throw failure(error);
    }
    responded = true;
    lastContentAt = Date.now();
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

    const pieces: ChatDelta[] = [];
    let streamError: RelayError | undefined;
    /** Where in `pieces` the error came: deltas before it are handed out first. */
    let errorAt = 0;
    /** Where in `pieces` each [DONE] of the bytes just decoded came. */
    const doneAt: number[] = [];
    let gotContent = false;
    const decoder = createSsePayloadDecoder(
      (value, eventType) => {
        if (streamError !== undefined || typeof value !== 'object' || value === null) return;
        const chunk = value as ChunkLike & Record<string, unknown>;
        if (chunk.error !== undefined && chunk.error !== null) {
          streamError = relayErrorFromPayload(chunk.error, apiKey, response.status);
          errorAt = pieces.length;
          return;
        }
        // grok2api: `event: error` whose data is the error itself, not wrapped in `error`.
        if (eventType === 'error') {
          streamError = relayErrorFromPayload(chunk, apiKey, response.status);
          errorAt = pieces.length;
          return;
        }
        const choice = chunk.choices?.[0];
        const delta = choice?.delta;
        const content = delta?.content;
        const reasoning = reasoningOf(delta);
        const hasContent = typeof content === 'string' && content !== '';
        const hasReasoning = typeof reasoning === 'string' && reasoning !== '';
        if (hasContent || hasReasoning) {
          pieces.push(hasContent ? (hasReasoning ? { content, reasoning } : { content }) : { reasoning: reasoning as string });
          lastContentAt = Date.now();
          // More answer after a finish_reason: it was not the end (relays that send "stop" early,
          // or on every chunk); only an answer that then goes quiet has ended.
          clearTimeout(grace);
          grace = undefined;
        }
        // Some relays send "" instead of null on every chunk, sora2api "STOP": any non-empty
        // reason counts, and only once the grace runs out is the report asked whether it is done.
        if (typeof choice?.finish_reason === 'string' && choice.finish_reason !== '' && grace === undefined) {
          grace = setTimeout(onGrace, graceMs);
        }
      },
      () => {
        if (streamError === undefined) doneAt.push(pieces.length);
      },
    );

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
      if (isAborted(ctrl.signal)) throw failure(undefined);
      const bytes = next.done ? undefined : next.value;
      const chunk = bytes === undefined ? text.decode() : text.decode(bytes, { stream: true });
      if (mode === 'unknown' && chunk !== '') {
        const first = firstVisibleChar(chunk);
        if (first === '<') throw htmlError(response.status);
        if (first !== undefined) mode = first === '{' || first === '[' ? 'json' : 'sse';
      }
      if (mode === 'sse') {
        if (chunk !== '') decoder.push(chunk);
        if (bytes === undefined) decoder.end();
        if (decoder.overflow) throw protocolError(t('proto_eventTooLarge'), response.status);
      } else if (mode === 'json') {
        jsonParts.push(chunk);
        jsonChars += chunk.length;
        if (jsonChars > MAX_JSON_BODY_CHARS) throw protocolError(t('proto_jsonTooLarge'), response.status);
      }
      // Hand out what these bytes held in order, asking the report at each [DONE] whether it has
      // ended (then the rest is ignored) and failing where an error event came.
      let ended = false;
      let mark = 0;
      for (let i = 0; i <= pieces.length; i++) {
        for (; mark < doneAt.length && doneAt[mark] === i; mark++) ended ||= terminal();
        if (ended) break;
        if (streamError !== undefined && errorAt === i) throw streamError;
        if (i < pieces.length) {
          gotContent = true;
          yield pieces[i] as ChatDelta;
        }
      }
      pieces.length = 0;
      doneAt.length = 0;
      if (ended || bytes === undefined) break;
      // A [DONE] before the report was seen finished (or before it was read again): asked once
      // more after the grace, so a relay that then holds the socket open still ends here.
      if (mark !== 0 && grace === undefined) grace = setTimeout(onGrace, graceMs);
    }

    if (mode === 'unknown') throw protocolError(t('proto_empty'), response.status);
    if (mode === 'json') {
      const answer = deltaOfJsonAnswer(jsonParts.join(''), apiKey, response.status);
      if (answer.content !== undefined || answer.reasoning !== undefined) yield answer;
      return;
    }
    if (decoder.parsed === 0 && (decoder.malformed > 0 || decoder.doneCount === 0)) {
      throw protocolError(began(t('proto_noEvent'), decoder.sample, apiKey), response.status);
    }
    // Without [DONE], only content tells a finished answer from a dropped one.
    if (decoder.doneCount === 0 && !gotContent) {
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
function deltaOfJsonAnswer(body: string, apiKey: string, status: number): ChatDelta {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw protocolError(began(t('proto_badJson'), body.slice(0, 1024), apiKey), status);
  }
  const answer = (typeof value === 'object' && value !== null ? value : {}) as ChunkLike;
  if (answer.error !== undefined && answer.error !== null) throw relayErrorFromPayload(answer.error, apiKey, status);
  const choice = answer.choices?.[0];
  const part = choice?.message ?? choice?.delta;
  const content = part?.content;
  const reasoning = reasoningOf(part);
  const hasContent = typeof content === 'string';
  const hasReasoning = typeof reasoning === 'string' && reasoning !== '';
  if (!hasContent && !hasReasoning) throw protocolError(t('proto_jsonNoContent'), status);
  return {
    ...(hasContent && content !== '' && { content }),
    ...(hasReasoning && { reasoning }),
  };
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
    promise.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject);
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
