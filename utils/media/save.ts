import type { MediaContext } from './context';
import { MediaStoreError, toMediaError } from './errors';
import { pumpBlob, pumpStream, progressReporter, type Progress } from './pump';
import { cleanSourceUrl, planFromResponse, type ResponsePlan } from './response';
import type { CopyMeta, CopyRecord, WriteOptions } from './types';
import { beginCopy, failCopy, finishCopy, recordFailure, type WriteSession } from './write';

type Body = (session: WriteSession, progress: Progress) => Promise<void>;

function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new TypeError('a copy needs a non-empty key');
}

/**
 * One save from claim to completion. A key is written by one save at a time in this context;
 * whatever fails, the copy is left resumable or emptied (see failCopy) and the error is a
 * MediaStoreError.
 */
async function runSave(
  ctx: MediaContext,
  key: string,
  meta: CopyMeta,
  plan: ResponsePlan,
  body: Body,
  discard: () => void,
  options: WriteOptions,
): Promise<CopyRecord> {
  if (ctx.writing.has(key)) {
    discard();
    throw new MediaStoreError('conflict', 'this copy is already being saved');
  }
  ctx.writing.add(key);
  try {
    let begin;
    try {
      begin = await beginCopy(ctx, key, meta, plan);
    } catch (err) {
      discard();
      throw toMediaError(err, 'storage', 'starting a copy');
    }
    if (begin.kind !== 'write') {
      discard();
      if (begin.kind === 'refused') throw begin.error;
      return begin.record;
    }
    const { session } = begin;
    const progress = progressReporter(ctx, options.onProgress, session.total);
    try {
      await body(session, progress);
      if (session.total !== undefined && session.stored < session.total)
        throw new MediaStoreError('incomplete', `the download ended after ${session.stored} of ${session.total} bytes`);
      if (session.total !== undefined && session.stored > session.total)
        throw new MediaStoreError('corrupt', `the download gave ${session.stored} bytes, more than the ${session.total} announced`);
      const record = await finishCopy(ctx, session);
      progress(record.stored, true);
      return record;
    } catch (err) {
      const error = toMediaError(err, 'storage', 'saving a copy');
      await failCopy(ctx, session, error);
      throw error;
    }
  } finally {
    ctx.writing.delete(key);
  }
}

/** Saves a whole file from a stream of bytes (the bench's entry, and any body not from fetch). */
export function saveStream(
  ctx: MediaContext,
  key: string,
  meta: CopyMeta,
  stream: ReadableStream<Uint8Array>,
  options: WriteOptions = {},
): Promise<CopyRecord> {
  checkKey(key);
  const plan: ResponsePlan = {
    from: 'start',
    mime: meta.mime ?? 'application/octet-stream',
    ...(meta.size !== undefined && { total: meta.size }),
  };
  const url = cleanSourceUrl(meta.sourceUrl);
  if (url !== undefined) plan.sourceUrl = url;
  return runSave(
    ctx,
    key,
    meta,
    plan,
    (session, progress) => pumpStream(ctx, session, stream, options.signal, progress),
    () => void stream.cancel().catch(() => undefined),
    options,
  );
}

/** Saves a Blob already in hand (a reference image the user picked, a small preview). */
export function saveBlob(ctx: MediaContext, key: string, meta: CopyMeta, blob: Blob, options: WriteOptions = {}): Promise<CopyRecord> {
  checkKey(key);
  const plan: ResponsePlan = { from: 'start', mime: meta.mime ?? (blob.type || 'application/octet-stream'), total: blob.size };
  const url = cleanSourceUrl(meta.sourceUrl);
  if (url !== undefined) plan.sourceUrl = url;
  return runSave(
    ctx,
    key,
    meta,
    plan,
    (session, progress) => pumpBlob(ctx, session, blob, options.signal, progress),
    () => undefined,
    options,
  );
}

/**
 * Saves a fetched response: a 200 as the whole file (dropping any partial copy), a 206 as the
 * continuation of the partial copy (see resumeFetchInit). A response that cannot be a copy
 * (an error status, a web page, a 206 that does not fit) is refused before any byte is stored,
 * and the reason is kept on the record so the turn can say why it has no copy. A complete copy
 * already stored is returned as it is, and the response is not read.
 */
export async function saveFromResponse(
  ctx: MediaContext,
  key: string,
  meta: CopyMeta,
  response: Response,
  options: WriteOptions = {},
): Promise<CopyRecord> {
  checkKey(key);
  const discard = () => void response.body?.cancel().catch(() => undefined);
  let plan: ResponsePlan;
  try {
    plan = planFromResponse(response, meta);
  } catch (err) {
    discard();
    const error = toMediaError(err, 'http', 'reading the answer');
    await recordFailure(ctx, key, meta, error.toJSON()).catch(() => undefined);
    throw error;
  }
  const body = response.body;
  const pump = async (session: WriteSession, progress: Progress): Promise<void> => {
    if (body) await pumpStream(ctx, session, body, options.signal, progress);
    // A 200 with nothing in it is a broken link, not an empty video.
    if (session.stored === 0) throw new MediaStoreError('not-media', `the link answered no bytes for a ${meta.kind}`);
  };
  return runSave(ctx, key, meta, plan, pump, discard, options);
}
