/**
 * Every way a generation can fail, as one typed error. `kind` drives what the UI tells the user
 * to do; `serverMessage` keeps the relay's own words (already redacted of the API key).
 */
export type ErrorKind =
  | 'auth' // 401, 403 with a key problem
  | 'quota' // 402, 403 with balance/quota wording, insufficient_quota codes
  | 'rate-limit' // 429
  | 'bad-request' // 400, 413, 422, moderation / content policy
  | 'not-found' // 404 (unknown model or wrong base URL)
  | 'server' // 5xx, or an error object inside the stream
  | 'network' // fetch rejected, connection dropped mid-stream
  | 'protocol' // not SSE, nothing parseable, malformed beyond recovery
  | 'timeout' // no byte for the stall timeout
  | 'cancelled'; // the user (or shutdown) aborted

export interface RelayErrorInit {
  status?: number;
  serverMessage?: string;
  code?: string;
  retryAfterSec?: number;
  cause?: unknown;
}

export class RelayError extends Error {
  readonly kind: ErrorKind;
  readonly status?: number;
  readonly serverMessage?: string;
  readonly code?: string;
  readonly retryAfterSec?: number;

  constructor(kind: ErrorKind, message: string, init: RelayErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RelayError';
    this.kind = kind;
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    this.code = init.code;
    this.retryAfterSec = init.retryAfterSec;
  }

  /** Plain data for storage and messages (Error objects do not survive structured cloning intact). */
  toJSON(): TurnError {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.status !== undefined && { status: this.status }),
      ...(this.serverMessage !== undefined && { serverMessage: this.serverMessage }),
      ...(this.code !== undefined && { code: this.code }),
      ...(this.retryAfterSec !== undefined && { retryAfterSec: this.retryAfterSec }),
    };
  }
}

/** The user's (or a deleted thread's) abort: never shown, as a cancelled turn carries no error. */
export function cancelled(): RelayError {
  return new RelayError('cancelled', 'cancelled');
}

/** The stored form of a failure, as kept on a Turn. */
export interface TurnError {
  /**
   * 'generation': the relay ran the job and reported that it failed.
   * 'interrupted': we lost track of a job that may still finish on the relay (worker stopped with
   * no task source to follow, or the task source never gave an answer).
   * 'remix-unsupported': the relay cannot modify a video; a new video from the instruction can be made instead.
   */
  kind: ErrorKind | 'generation' | 'interrupted' | 'remix-unsupported';
  message: string;
  status?: number;
  serverMessage?: string;
  code?: string;
  retryAfterSec?: number;
  /**
   * The origin (`https://host:port`) of a task source the extension may not read: the turn offers
   * to ask for that host permission and then follow the job again.
   */
  needsAccess?: string;
}

/**
 * Relays sometimes echo the Authorization header back in error text, so every server string
 * passes through here before it is stored or shown.
 */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret || !text.includes(secret)) return text;
  return text.split(secret).join('***');
}

/** Turn fields that are ours, not the relay's: left as they are. */
const OWN_TURN_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'prompt',
  'status',
  'createdAt',
  'startedAt',
  'finishedAt',
  'progress',
  'resume',
  'images',
]);

/**
 * A turn with every key hidden from what the relay sent into it (its answer, links, ids, failure
 * text, echo): relays echo keys anywhere. Returns the same object when nothing contained one, so
 * the common case costs a scan and no copy.
 */
export function redactTurnSecrets<T extends object>(turn: T, secrets: Iterable<string>): T {
  const keys = [...secrets].filter((s) => s !== '');
  if (!keys.length) return turn;
  let out: Record<string, unknown> | undefined;
  for (const [field, value] of Object.entries(turn)) {
    if (OWN_TURN_FIELDS.has(field)) continue;
    const clean = redactValue(value, keys);
    if (clean !== value) (out ??= { ...(turn as Record<string, unknown>) })[field] = clean;
  }
  return (out ?? turn) as T;
}

function redactValue(value: unknown, keys: readonly string[]): unknown {
  if (typeof value === 'string') return keys.reduce((text, key) => redactSecret(text, key), value);
  if (Array.isArray(value)) {
    const items = value.map((v) => redactValue(v, keys));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  if (typeof value === 'object' && value !== null) {
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const clean = redactValue(v, keys);
      if (clean !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = clean;
    }
    return out ?? value;
  }
  return value;
}
