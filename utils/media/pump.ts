import type { MediaContext } from './context';
import { MediaStoreError } from './errors';
import type { ProgressCallback } from './types';
import { commitChunk, type WriteSession } from './write';

/**
 * Moving bytes from a source into chunks with bounded memory: one chunk-sized buffer that is
 * filled, copied into a chunk and reused, and at most one chunk being committed while the next
 * fills. No reference to a committed chunk is kept, so a 100 MB save holds about two chunks.
 */

export function abortedError(signal: AbortSignal): MediaStoreError {
  return new MediaStoreError('aborted', 'saving the copy was stopped', { cause: signal.reason });
}

/** Calls `onProgress` with rising values, at most once per interval; `final` always reports. */
export type Progress = (received: number, final?: boolean) => void;

export function progressReporter(ctx: MediaContext, onProgress: ProgressCallback | undefined, total: number | undefined): Progress {
  let last = -Infinity;
  let reported = -1;
  return (received: number, final = false): void => {
    if (!onProgress || received < reported) return;
    const now = ctx.now();
    if (!final && now - last < ctx.progressIntervalMs) return;
    if (final && received === reported) return;
    last = now;
    reported = received;
    try {
      onProgress(received, total);
    } catch {
      // A failing progress display must not lose the copy.
    }
  };
}

function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new MediaStoreError('storage', 'the body stream gave something other than bytes');
}

/** A stored chunk made from the buffer's first `length` bytes; both forms copy, so the buffer can be reused at once. */
function toChunk(ctx: MediaContext, buffer: Uint8Array<ArrayBuffer>, length: number): Blob | ArrayBuffer {
  const view = buffer.subarray(0, length);
  return ctx.chunkForm === 'blob' ? new Blob([view]) : view.slice().buffer;
}

/**
 * Streams `stream` into the copy after `session.stored`. Resolves once every byte is committed;
 * on abort, a failed read or a failed write it rejects, with only whole committed chunks stored
 * (the buffered tail is dropped and fetched again on resume).
 */
export async function pumpStream(
  ctx: MediaContext,
  session: WriteSession,
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  progress: Progress,
): Promise<void> {
  const reader = stream.getReader();
  const stop = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', stop, { once: true });
  const size = ctx.chunkSize;
  let buffer: Uint8Array<ArrayBuffer> | undefined;
  let fill = 0;
  let received = session.stored;
  let inFlight: Promise<void> | undefined;

  const flush = async (): Promise<void> => {
    if (inFlight) await inFlight;
    if (!buffer || fill === 0) return;
    const chunk = toChunk(ctx, buffer, fill);
    const length = fill;
    fill = 0;
    inFlight = commitChunk(ctx, session, chunk, length);
    // Seen when awaited; marked now because it may fail while the next read is pending.
    inFlight.catch(() => undefined);
  };

  try {
    if (signal?.aborted) throw abortedError(signal);
    progress(received);
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (err) {
        if (signal?.aborted) throw abortedError(signal);
        throw new MediaStoreError('network', 'the download broke off', { cause: err });
      }
      // A cancelled read ends like a finished stream: the signal tells them apart.
      if (signal?.aborted) throw abortedError(signal);
      if (next.done) break;
      const piece = asBytes(next.value);
      for (let offset = 0; offset < piece.byteLength;) {
        buffer ??= new Uint8Array(size);
        const take = Math.min(size - fill, piece.byteLength - offset);
        buffer.set(piece.subarray(offset, offset + take), fill);
        fill += take;
        offset += take;
        if (fill === size) await flush();
      }
      received += piece.byteLength;
      progress(received);
    }
    await flush();
    await inFlight;
  } catch (err) {
    // A write that failed underneath explains more than the read that stopped because of it.
    const writeError = await inFlight?.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    stop();
    throw writeError ?? err;
  } finally {
    signal?.removeEventListener('abort', stop);
    buffer = undefined;
  }
}

/** Stores a Blob chunk by chunk; in 'blob' form the slices go to IndexedDB without entering JS memory. */
export async function pumpBlob(
  ctx: MediaContext,
  session: WriteSession,
  blob: Blob,
  signal: AbortSignal | undefined,
  progress: Progress,
): Promise<void> {
  progress(session.stored);
  for (let start = session.stored; start < blob.size; start += ctx.chunkSize) {
    if (signal?.aborted) throw abortedError(signal);
    const slice = blob.slice(start, Math.min(start + ctx.chunkSize, blob.size));
    const chunk = ctx.chunkForm === 'blob' ? slice : await slice.arrayBuffer();
    await commitChunk(ctx, session, chunk, slice.size);
    progress(session.stored);
  }
}
