import { afterEach, describe, expect, it } from 'vitest';
import { isQuotaError, MediaStoreError } from '../../utils/media';
import { bytesOf, bytesOfBlob, CHUNK, chunkIndexes, failChunkPutWithQuota, metaOf, newStore, streamOf } from './media-helpers';

let undo: (() => void) | undefined;
afterEach(() => {
  undo?.();
  undo = undefined;
});

describe('media store: the browser refusing space', () => {
  for (const variant of [
    { label: 'a put that throws QuotaExceededError', async: false },
    { label: 'a transaction aborted with QuotaExceededError', async: true },
    { label: "Firefox's NS_ERROR_DOM_QUOTA_REACHED", async: true, name: 'NS_ERROR_DOM_QUOTA_REACHED' },
  ]) {
    it(`${variant.label} mid-write: a 'quota' error, earlier copies intact, the partial copy emptied and usage right`, async () => {
      const { store, factory } = newStore();
      const first = bytesOf(3 * CHUNK + 11, 1);
      const second = bytesOf(2 * CHUNK, 2);
      await store.saveStream('a:video', metaOf('a'), streamOf(first).stream);
      await store.saveStream('a:preview', metaOf('a', 'preview'), streamOf(second).stream);
      const before = await store.usage();

      // Chunk puts so far: 4 + 2; the new copy's third chunk is refused.
      undo = failChunkPutWithQuota(3, variant);
      const big = streamOf(bytesOf(8 * CHUNK, 3), [500]);
      const error = await store.saveStream('b:video', metaOf('b'), big.stream).catch((e: unknown) => e);
      undo();
      undo = undefined;

      expect(error).toBeInstanceOf(MediaStoreError);
      expect(error).toMatchObject({ kind: 'quota' });
      await big.cancelled;
      expect(await bytesOfBlob(await store.readBlob('a:video'))).toEqual(first);
      expect(await bytesOfBlob(await store.readBlob('a:preview'))).toEqual(second);
      expect(await store.getRecord('b:video')).toMatchObject({ stored: 0, chunks: 0, complete: false, error: { kind: 'quota' } });
      expect(await chunkIndexes(factory, 'b:video')).toEqual([]);
      expect(await store.usage()).toEqual(before);

      // Space freed elsewhere: the same copy saves in full afterwards.
      const again = bytesOf(8 * CHUNK, 3);
      expect((await store.saveStream('b:video', metaOf('b'), streamOf(again).stream)).complete).toBe(true);
      expect(await bytesOfBlob(await store.readBlob('b:video'))).toEqual(again);
    });
  }

  it('a quota refusal on the first chunk of a resumed copy empties it too', async () => {
    const { store, factory } = newStore();
    const bytes = bytesOf(4 * CHUNK, 5);
    const controller = new AbortController();
    await store
      .saveStream('c:video', metaOf('c'), streamOf(bytes, [CHUNK], { holdAfter: 2 * CHUNK }).stream, {
        signal: controller.signal,
        onProgress: (n) => n >= 2 * CHUNK && controller.abort(),
      })
      .catch(() => undefined);
    const record = await store.getRecord('c:video');
    expect(record?.stored).toBe(2 * CHUNK);

    undo = failChunkPutWithQuota(1, { async: true });
    const response = new Response(streamOf(bytes.subarray(2 * CHUNK)).stream, {
      status: 206,
      headers: { 'Content-Range': `bytes ${2 * CHUNK}-${4 * CHUNK - 1}/${4 * CHUNK}` },
    });
    await expect(store.saveFromResponse('c:video', metaOf('c'), response)).rejects.toMatchObject({ kind: 'quota' });
    expect(await chunkIndexes(factory, 'c:video')).toEqual([]);
    expect((await store.usage()).bytes).toBe(0);
  });
});

describe('isQuotaError', () => {
  it('knows every shape browsers give a full disk or quota', () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError(new DOMException('x', 'NS_ERROR_DOM_QUOTA_REACHED'))).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 1014 })).toBe(true);
    expect(isQuotaError(new DOMException('Internal error: Quota exceeded while writing blob', 'UnknownError'))).toBe(true);
    expect(isQuotaError(new DOMException('x', 'AbortError'))).toBe(false);
    expect(isQuotaError(new DOMException('x', 'ConstraintError'))).toBe(false);
    expect(isQuotaError('QuotaExceededError')).toBe(false);
    expect(isQuotaError(undefined)).toBe(false);
  });
});
