import { createParser, type ParseError } from 'eventsource-parser';

/**
 * Push-based decoder from raw SSE bytes (or text) to the JSON payload of each event.
 *
 * eventsource-parser does the spec work (CRLF/CR, comments, `data:` without a space, lines
 * split across chunks). What it cannot do is the framing some relays copy from their docs:
 * one event's JSON pretty-printed over many lines, only the first starting with `data: `.
 * The parser reports the other lines as unknown fields; we keep their raw text and glue it
 * back on when the event's data alone is not JSON.
 */
export interface SsePayloadDecoder {
  /** Feeds bytes (decoded as streaming UTF-8, so a character may straddle chunks) or text. */
  push(chunk: Uint8Array | string): void;
  /** Flushes the last event, which a stream may leave without its closing blank line. */
  end(): void;
  /**
   * `[DONE]` sentinels seen so far. A sentinel does not end decoding: gpt4free-ts sends one after
   * an early step and then goes on with the report, so whether it ends the answer is the caller's
   * call (it knows whether the report is finished).
   */
  readonly doneCount: number;
  /** Events whose data was JSON. */
  readonly parsed: number;
  /** Events whose data was not JSON even with continuation lines; they were skipped. */
  readonly malformed: number;
  /** The start of the first thing we could not use, for an error message (not redacted). */
  readonly sample: string | undefined;
  /** An event or line grew past MAX_EVENT_CHARS without ending: the stream is not one to read. */
  readonly overflow: boolean;
}

// Bounds memory when a non-SSE body (an HTML page, a log) is streamed as event-stream:
// every one of its lines is an "unknown field" and no blank line may ever dispatch them.
const MAX_CONTINUATION_CHARS = 256 * 1024;
// A few stray lines (a bare timestamp) may sit between the previous event and a
// pretty-printed one; dropping up to this many leading lines recovers it without
// making a malformed stream cost more than a handful of JSON.parse calls per event.
const MAX_LEADING_STRAY_LINES = 3;
/**
 * The most one event (or one unterminated line) may hold: past it the parser stops, rather than
 * buffer a relay's endless `data:` lines. Larger than the longest answer a turn may keep (2 MB).
 */
export const MAX_EVENT_CHARS = 4 * 1024 * 1024;
// Longer than what is shown: the caller hides the API key in it first, then cuts it, so a key
// cannot straddle the cut and leave its start behind.
const SAMPLE_CHARS = 1024;

/**
 * `onPayload` gets each event's JSON and its `event:` type (grok2api sends `event: error`);
 * `onDone` each `[DONE]`. Neither may throw: they run inside the parser's callbacks.
 */
export function createSsePayloadDecoder(
  onPayload: (value: unknown, eventType: string | undefined) => void,
  onDone?: () => void,
): SsePayloadDecoder {
  const textDecoder = new TextDecoder();
  let continuation: string[] = [];
  let continuationChars = 0;
  let doneCount = 0;
  let parsed = 0;
  let malformed = 0;
  let sample: string | undefined;
  let overflow = false;

  const parser = createParser({
    maxBufferSize: MAX_EVENT_CHARS,
    onEvent(event) {
      const data = event.data;
      const type = event.event;
      const cont = continuation;
      if (cont.length !== 0) {
        continuation = [];
        continuationChars = 0;
      }
      const first = data.charCodeAt(0);
      // Only `[DONE]` (however spaced or wrapped) starts with `[` or blank; chunks are objects.
      if ((first === 91 || first <= 32) && isDoneSentinel(data, cont)) {
        doneCount++;
        onDone?.();
        return;
      }
      if (cont.length === 0 || endsLikeJsonValue(data)) {
        try {
          const value: unknown = JSON.parse(data);
          parsed++;
          onPayload(value, type);
          return;
        } catch {
          // fall through to the continuation lines, or count it
        }
      }
      for (let skip = 0; skip < cont.length && skip <= MAX_LEADING_STRAY_LINES; skip++) {
        try {
          const value: unknown = JSON.parse(`${data}\n${cont.slice(skip).join('\n')}`);
          parsed++;
          onPayload(value, type);
          return;
        } catch {
          // try without the next leading line
        }
      }
      if (data.trim() === '') return; // an empty `data:` keep-alive, not an error
      malformed++;
      sample ??= data.slice(0, SAMPLE_CHARS);
    },
    onError(error: ParseError) {
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
      if (error.type !== 'unknown-field' || error.line === undefined) return;
      if (continuationChars > MAX_CONTINUATION_CHARS) return;
      continuation.push(error.line);
      continuationChars += error.line.length;
      if (sample === undefined && parsed === 0 && error.line.trim() !== '') {
        sample = error.line.slice(0, SAMPLE_CHARS);
      }
    },
  });

  // The parser builds an Error for every line it does not know, i.e. every line of a
  // pretty-printed event; capturing their stacks made the seed's framing ~8x slower than
  // the parsing itself (V8). Nothing here needs those stacks.
  const errorCtor = Error as { stackTraceLimit?: number };
  const feed = (text: string): void => {
    // Past its limit the parser refuses every further feed: the caller stops reading.
    if (overflow) return;
    const limit = errorCtor.stackTraceLimit;
    if (typeof limit !== 'number') {
      parser.feed(text);
      return;
    }
    errorCtor.stackTraceLimit = 0;
    try {
      parser.feed(text);
    } finally {
      errorCtor.stackTraceLimit = limit;
    }
  };

  return {
    push(chunk) {
      const text = typeof chunk === 'string' ? chunk : textDecoder.decode(chunk, { stream: true });
      if (text !== '') feed(text);
    },
    end() {
      const tail = textDecoder.decode();
      // Terminates a trailing partial line, then a blank line dispatches the pending event.
      feed(`${tail}\n\n`);
    },
    get doneCount() {
      return doneCount;
    },
    get parsed() {
      return parsed;
    },
    get malformed() {
      return malformed;
    },
    get sample() {
      return sample;
    },
    get overflow() {
      return overflow;
    },
  };
}

function isDoneSentinel(data: string, continuation: string[]): boolean {
  const text = continuation.length === 0 ? data : `${data}${continuation.join('')}`;
  // Tolerates `[DONE\n]`, `[ DONE ]`, a lost closing bracket, any case.
  return text.replace(/\s+/g, '').toUpperCase().startsWith('[DONE');
}

/** A pretty-printed event's first line is `{`; skip the JSON.parse that is bound to throw. */
function endsLikeJsonValue(data: string): boolean {
  let i = data.length - 1;
  while (i >= 0 && data.charCodeAt(i) <= 32) i--;
  const last = data.charCodeAt(i);
  return last === 125 /* } */ || last === 93; /* ] */
}
