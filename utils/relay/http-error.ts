import { errorTitle } from './error-text';
import { RelayError, redactSecret, type ErrorKind } from './errors';
import { t } from '../i18n';
import { isRecord } from '../is-record';

/** What a relay said about a failure, from whichever error shape it uses. */
export interface ServerErrorInfo {
  message?: string;
  code?: string;
  type?: string;
  /** An HTTP status the relay put inside the error (flow2api's `status_code` in a 200 stream). */
  status?: number;
}

const MAX_SERVER_MESSAGE = 500;
const MAX_SUMMARY_DETAIL = 200;

const QUOTA_WORDS = /balance|quota|credit|insufficient|billing|余额|额度|配额/i;
const POLICY_WORDS = /content.?policy|moderation|safety|content.?filter|violat|违规|敏感|审核/i;

export function kindForStatus(status: number, info: ServerErrorInfo = {}, rawBody = ''): ErrorKind {
  // OpenAI itself answers 429 insufficient_quota: waiting will not help, topping up will.
  if (status === 429) return isQuotaCode(info) || QUOTA_WORDS.test(info.message ?? '') ? 'quota' : 'rate-limit';
  if (status === 401) return 'auth';
  if (status === 402) return 'quota';
  if (status === 403) return QUOTA_WORDS.test(rawBody) ? 'quota' : 'auth';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  if (status >= 400) return 'bad-request';
  return 'protocol';
}

/** `Retry-After` is either delta-seconds or an HTTP date; returns whole seconds from now. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text));
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/**
 * Reads `{"error":{"message","type","code"}}`, `{"error":"…"}`, `{"message":…}`,
 * `{"detail":…}` (FastAPI), or falls back to the text itself (an HTML page: its title).
 */
export function readServerError(body: string): ServerErrorInfo {
  const text = body.trim();
  if (text === '') return {};
  if (text.startsWith('{')) {
    try {
      const info = errorInfoFromValue(JSON.parse(text));
      if (info.message !== undefined || info.code !== undefined || info.type !== undefined) return info;
    } catch {
      // not JSON after all: use it as text
    }
  }
  if (text.startsWith('<')) {
    // Every class stops at the next `<` too, so a hostile body of unclosed tags scans linearly.
    const title = /<title[^<>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return {
      message:
        title ||
        text
          .replace(/<[^<>]*>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
    };
  }
  return { message: text };
}

/** The error member of a JSON body or of a stream event, whatever its shape. */
export function errorInfoFromValue(value: unknown): ServerErrorInfo {
  if (typeof value === 'string') return { message: value };
  if (!isRecord(value)) return {};
  const inner = value.error;
  if (typeof inner === 'string') return { message: inner, ...codeAndType(value) };
  if (isRecord(inner)) {
    // `{"error":{"code":…},"message":…}`: the words may sit beside the error object.
    return {
      message: stringOf(inner.message) ?? stringOf(inner.msg) ?? stringOf(value.message) ?? stringOf(value.msg),
      ...codeAndType(inner),
    };
  }
  return {
    message: stringOf(value.message) ?? detailText(value.detail) ?? stringOf(value.msg),
    ...codeAndType(value),
  };
}

/** Kind for an error whose only clues are its code/type (an error object inside the stream). */
export function kindForErrorInfo(info: ServerErrorInfo): ErrorKind {
  const clues = `${info.code ?? ''} ${info.type ?? ''}`.toLowerCase();
  if (isQuotaCode(info)) return 'quota';
  if (/rate.?limit|too.?many/.test(clues)) return 'rate-limit';
  if (POLICY_WORDS.test(clues)) return 'bad-request';
  if (/invalid.?api.?key|authentication|unauthori[sz]ed|permission/.test(clues)) return 'auth';
  if (/not.?found/.test(clues)) return 'not-found';
  if (/invalid.?request|bad.?request|context.?length/.test(clues)) return 'bad-request';
  const numeric = Number(info.code);
  if (Number.isInteger(numeric) && numeric >= 400 && numeric < 600) return kindForStatus(numeric, info);
  // Relays that put everything in the message (often in Chinese) still say why.
  const message = info.message ?? '';
  if (QUOTA_WORDS.test(message)) return 'quota';
  if (POLICY_WORDS.test(message)) return 'bad-request';
  return 'server';
}

/** A non-2xx answer before any stream. */
export function relayErrorFromHttp(status: number, headers: Headers, body: string, apiKey: string): RelayError {
  const info = readServerError(body);
  const kind = kindForStatus(status, info, body);
  return build(kind, info, apiKey, {
    status,
    retryAfterSec: kind === 'rate-limit' ? parseRetryAfter(headers.get('retry-after')) : undefined,
  });
}

/** An `{"error": …}` object sent instead of (or in the middle of) the content. */
export function relayErrorFromPayload(errorValue: unknown, apiKey: string, status?: number): RelayError {
  const info = errorInfoFromValue({ error: errorValue });
  // A status inside the error says more than the 200 the stream was sent with.
  if (info.status !== undefined && (status === undefined || status < 300)) {
    return build(kindForStatus(info.status, info, info.message), info, apiKey, { status: info.status });
  }
  return build(kindForErrorInfo(info), info, apiKey, { status });
}

function build(kind: ErrorKind, info: ServerErrorInfo, apiKey: string, extra: { status?: number; retryAfterSec?: number }): RelayError {
  // Redact before truncating so a cut cannot leave half a key behind.
  const serverMessage = info.message === undefined ? undefined : truncate(redactSecret(info.message, apiKey), MAX_SERVER_MESSAGE);
  // In the words of the language set when it happened: the turn keeps this sentence.
  let what = errorTitle(kind);
  if (extra.status !== undefined && extra.status >= 300) what = t('errHttp', { what, status: extra.status });
  return new RelayError(kind, withDetail(what, serverMessage && truncate(serverMessage, MAX_SUMMARY_DETAIL)), {
    status: extra.status,
    serverMessage,
    code: info.code === undefined ? undefined : redactSecret(info.code, apiKey),
    retryAfterSec: extra.retryAfterSec,
  });
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** "What went wrong: the detail", or just what went wrong. */
export function withDetail(what: string, detail?: string): string {
  return detail ? t('errDetail', { what, detail }) : what;
}

function isQuotaCode(info: ServerErrorInfo): boolean {
  return /quota|insufficient|billing|balance|credit/i.test(`${info.code ?? ''} ${info.type ?? ''}`);
}

function codeAndType(record: Record<string, unknown>): { code?: string; type?: string; status?: number } {
  const code = record.code;
  const out: { code?: string; type?: string; status?: number } = {};
  if (typeof code === 'string' && code !== '') out.code = code;
  else if (typeof code === 'number') out.code = String(code);
  const type = stringOf(record.type);
  if (type !== undefined) out.type = type;
  const status = record.status_code;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 600) out.status = status;
  return out;
}

function detailText(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail || undefined;
  if (Array.isArray(detail)) {
    // FastAPI validation errors: [{loc, msg, type}, …]
    const parts = detail.map((d) => (isRecord(d) ? stringOf(d.msg) : stringOf(d))).filter(Boolean);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (isRecord(detail)) return stringOf(detail.message) ?? stringOf(detail.msg);
  return undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
