import type { CopyError, MediaErrorKind } from './types';

/**
 * Every way saving or reading a copy can fail. The message is for logs (English, no relay
 * text); pages choose their localized sentence by `kind`.
 */
export class MediaStoreError extends Error {
  readonly kind: MediaErrorKind;
  readonly status?: number;

  constructor(kind: MediaErrorKind, message: string, init: { status?: number; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'MediaStoreError';
    this.kind = kind;
    this.status = init.status;
  }

  toJSON(): CopyError {
    return { kind: this.kind, message: this.message, ...(this.status !== undefined && { status: this.status }) };
  }
}

/** Copies that stop for these reasons keep their bytes and continue from `stored` next time. */
export const RESUMABLE_KINDS: ReadonlySet<MediaErrorKind> = new Set(['aborted', 'network', 'incomplete']);

const QUOTA_NAMES = new Set([
  'QuotaExceededError',
  'NS_ERROR_DOM_QUOTA_REACHED', // older Firefox
  'NS_ERROR_FILE_NO_DEVICE_SPACE', // Firefox when the disk itself is full
]);

/**
 * True for the browser refusing space, in every shape it comes in: Chrome and Safari raise a
 * DOMException named QuotaExceededError (legacy code 22), Firefox has used its NS_ names (code
 * 1014), and Chrome's blob backend reports a full disk as an UnknownError with quota words.
 */
export function isQuotaError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code, message } = err as { name?: unknown; code?: unknown; message?: unknown };
  if (typeof name === 'string' && QUOTA_NAMES.has(name)) return true;
  if (code === 22 || code === 1014) return true;
  return typeof message === 'string' && /quota|no space left|disk (is )?full/i.test(message);
}

/** Any failure as a MediaStoreError: quota errors get kind 'quota', the rest keep `fallback`. */
export function toMediaError(err: unknown, fallback: MediaErrorKind, what: string): MediaStoreError {
  if (err instanceof MediaStoreError) return err;
  if (isQuotaError(err)) return new MediaStoreError('quota', `${what}: the browser has no more space for local copies`, { cause: err });
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new MediaStoreError(fallback, `${what}: ${detail.slice(0, 300)}`, { cause: err });
}
