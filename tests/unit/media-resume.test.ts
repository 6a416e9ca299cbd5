import { describe, expect, it } from 'vitest';
import { MediaStoreError, parseContentRange, rangeHeaderFor, RESUMABLE_KINDS, resumeFetchInit, type CopyRecord } from '../../utils/media';
import { cleanSourceUrl } from '../../utils/media/response';
import { bytesOf, bytesOfBlob, CHUNK, chunkIndexes, fileServer, metaOf, newStore, streamOf } from './media-helpers';

const KEY = 't1:video';

/** Saves from `serve` until the stream stalls after `holdAfter` bytes, then aborts: a worker stopping mid-download. */
async function abortedPartway(holdAfter: number, size = 10 * CHUNK + 7) {
  const setup = newStore();
  const bytes = bytesOf(size, 77);
  const controller = new AbortController();
  const headers = { 'Content-Type': 'video/mp4', 'Content-Length': String(size), ETag: '"v1"' };
  const response = new Response(streamOf(bytes, [700], { holdAfter }).stream, { status: 200, headers });
  const saving = setup.store.saveFromResponse(KEY, metaOf('t1'), response, {
    signal: controller.signal,
    onProgress: (received) => {
      if (received >= holdAfter) controller.abort(new Error('worker stopping'));
    },
  });
  await expect(saving).rejects.toMatchObject({ kind: 'aborted' });
  const record = await setup.store.getRecord(KEY);
  if (!record) throw new Error('no record');
  return { ...setup, bytes, record };
}

describe('media store: stopping and resuming a save', () => {
  it('an abort mid-write leaves a partial record of whole committed chunks, readable up to where it stopped', async () => {
    const { store, bytes, record } = await abortedPartway(4 * CHUNK + 300);
    expect(record).toMatchObject({ complete: false, etag: '"v1"', size: bytes.byteLength, error: { kind: 'aborted' } });
    expect(record.stored).toBe(4 * CHUNK);
    expect(record.chunks).toBe(4);
    expect(RESUMABLE_KINDS.has('aborted')).toBe(true);
    expect(await store.readBlob(KEY)).toBeUndefined();
    expect(await bytesOfBlob(await store.readBlob(KEY, { partial: true }))).toEqual(bytes.subarray(0, 4 * CHUNK));
    expect((await store.usage()).partial).toEqual({ bytes: 4 * CHUNK, count: 1 });
  });

  it('resumes through a 206 whose Content-Range starts where the copy stopped, to the exact bytes', async () => {
    const { store, factory, bytes, record } = await abortedPartway(3 * CHUNK + 1);
    const server = fileServer(bytes, { etag: '"v1"', pieces: [517] });
    const progress: number[] = [];
    const done = await store.saveFromResponse(KEY, metaOf('t1'), server.serve(resumeFetchInit(record)), {
      onProgress: (received) => progress.push(received),
    });
    expect(server.requests).toEqual([`bytes=${3 * CHUNK}-`]);
    expect(done).toMatchObject({ complete: true, stored: bytes.byteLength, chunks: 11 });
    expect(done.error).toBeUndefined();
    expect(progress[0]).toBe(3 * CHUNK);
    expect(progress.at(-1)).toBe(bytes.byteLength);
    expect(await bytesOfBlob(await store.readBlob(KEY))).toEqual(bytes);
    expect(await chunkIndexes(factory, KEY)).toEqual([...Array(11).keys()]);
  });

  it('a server that answers 200 to the range starts the copy over cleanly (no leftover chunks)', async () => {
    const { store, factory, bytes, record } = await abortedPartway(5 * CHUNK + 2);
    const server = fileServer(bytes, { honoursRange: false, etag: '"v1"', pieces: [CHUNK + 5] });
    const done = await store.saveFromResponse(KEY, metaOf('t1'), server.serve(resumeFetchInit(record)));
    expect(server.requests).toEqual([`bytes=${5 * CHUNK}-`]);
    expect(done).toMatchObject({ complete: true, stored: bytes.byteLength, chunks: 11 });
    expect(await bytesOfBlob(await store.readBlob(KEY))).toEqual(bytes);
    expect(await chunkIndexes(factory, KEY)).toEqual([...Array(11).keys()]);
  });

  it('starting over with a shorter file leaves no chunk of the old partial copy behind', async () => {
    const { store, factory, record } = await abortedPartway(5 * CHUNK + 2);
    const shorter = bytesOf(2 * CHUNK + 1, 99);
    const server = fileServer(shorter, { honoursRange: false, etag: '"v2"' });
    const done = await store.saveFromResponse(KEY, metaOf('t1'), server.serve(resumeFetchInit(record)));
    expect(done).toMatchObject({ complete: true, stored: shorter.byteLength, chunks: 3, etag: '"v2"' });
    expect(await chunkIndexes(factory, KEY)).toEqual([0, 1, 2]);
    expect(await bytesOfBlob(await store.readBlob(KEY))).toEqual(shorter);
  });

  it('refuses a 206 whose Content-Range starts elsewhere, stores none of it, and the next try fetches the file whole', async () => {
    const { store, factory, bytes, record } = await abortedPartway(2 * CHUNK + 10);
    const broken = fileServer(bytes, { claimOffset: -CHUNK, etag: '"v1"' });
    await expect(store.saveFromResponse(KEY, metaOf('t1'), broken.serve(resumeFetchInit(record)))).rejects.toMatchObject({
      kind: 'range-mismatch',
    });
    const after = await store.getRecord(KEY);
    expect(after).toMatchObject({ stored: 0, chunks: 0, complete: false, error: { kind: 'range-mismatch' } });
    expect(await chunkIndexes(factory, KEY)).toEqual([]);
    expect(rangeHeaderFor(after)).toBeUndefined();

    const good = fileServer(bytes, { etag: '"v1"' });
    await store.saveFromResponse(KEY, metaOf('t1'), good.serve(resumeFetchInit(after)));
    expect(good.requests).toEqual([null]);
    expect(await bytesOfBlob(await store.readBlob(KEY))).toEqual(bytes);
  });

  it('refuses a 206 for a file that changed since the copy began (another ETag)', async () => {
    const { store, bytes, record } = await abortedPartway(2 * CHUNK);
    const changed = fileServer(bytes, { etag: '"v2"' });
    await expect(store.saveFromResponse(KEY, metaOf('t1'), changed.serve(resumeFetchInit(record)))).rejects.toMatchObject({
      kind: 'source-changed',
    });
    expect(await store.getRecord(KEY)).toMatchObject({ stored: 0, complete: false });
  });

  it('refuses a 206 when there is no partial copy to continue', async () => {
    const { store } = newStore();
    const bytes = bytesOf(3 * CHUNK);
    const response = fileServer(bytes).serve({ headers: { Range: `bytes=${CHUNK}-` } });
    await expect(store.saveFromResponse(KEY, metaOf('t1'), response)).rejects.toMatchObject({ kind: 'range-mismatch' });
    expect(await store.readBlob(KEY, { partial: true })).toBeUndefined();
  });

  it('a body that ends before its Content-Length leaves a resumable partial copy, then the rest completes it', async () => {
    const { store } = newStore();
    const bytes = bytesOf(6 * CHUNK + 5, 3);
    const cut = 3 * CHUNK + 500;
    const headers = { 'Content-Type': 'video/mp4', 'Content-Length': String(bytes.byteLength) };
    const short = new Response(streamOf(bytes.subarray(0, cut), [400]).stream, { status: 200, headers });
    await expect(store.saveFromResponse(KEY, metaOf('t1'), short)).rejects.toMatchObject({ kind: 'incomplete' });
    const record = await store.getRecord(KEY);
    // Everything received is kept (the last chunk is short), so the range asks for exactly the rest.
    expect(record).toMatchObject({ stored: cut, chunks: 4, complete: false, error: { kind: 'incomplete' } });

    await store.saveFromResponse(KEY, metaOf('t1'), fileServer(bytes).serve(resumeFetchInit(record)));
    expect(await bytesOfBlob(await store.readBlob(KEY))).toEqual(bytes);
  });

  it('a connection that breaks mid-body is a resumable network error', async () => {
    const { store } = newStore();
    const bytes = bytesOf(5 * CHUNK, 4);
    const response = new Response(streamOf(bytes, [300], { failAfter: 2 * CHUNK + 50 }).stream, { status: 200 });
    await expect(store.saveFromResponse(KEY, metaOf('t1'), response)).rejects.toMatchObject({ kind: 'network' });
    expect(await store.getRecord(KEY)).toMatchObject({ stored: 2 * CHUNK, complete: false, error: { kind: 'network' } });
  });

  it('an already aborted signal stores nothing and cancels the body', async () => {
    const { store } = newStore();
    const controller = new AbortController();
    controller.abort();
    const { stream, cancelled } = streamOf(bytesOf(3 * CHUNK));
    await expect(store.saveStream(KEY, metaOf('t1'), stream, { signal: controller.signal })).rejects.toMatchObject({ kind: 'aborted' });
    await cancelled;
    expect(await store.getRecord(KEY)).toMatchObject({ stored: 0, complete: false });
  });

  it('keeps a complete copy: a later save returns it without reading the new body', async () => {
    const { store } = newStore();
    const bytes = bytesOf(2 * CHUNK, 1);
    await store.saveStream(KEY, metaOf('t1'), streamOf(bytes).stream);
    const other = streamOf(bytesOf(2 * CHUNK, 2));
    const record = await store.saveFromResponse(KEY, metaOf('t1'), new Response(other.stream, { status: 200 }));
    await other.cancelled;
    expect(record.complete).toBe(true);
    expect(await bytesOfBlob(await store.readBlob(KEY))).toEqual(bytes);
  });
});

describe('media store: answers that are not a copy', () => {
  it('an expired link (403) is refused before any byte, and the reason is kept on the record', async () => {
    const { store } = newStore();
    const response = new Response('<Error>AccessDenied</Error>', { status: 403 });
    const error = await store.saveFromResponse(KEY, metaOf('t1'), response).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaStoreError);
    expect(error).toMatchObject({ kind: 'http', status: 403 });
    expect(await store.getRecord(KEY)).toMatchObject({ stored: 0, complete: false, error: { kind: 'http', status: 403 } });
  });

  it('a web page answered with 200 is never kept as a video', async () => {
    const { store } = newStore();
    const response = new Response('<html>link expired</html>', { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
    await expect(store.saveFromResponse(KEY, metaOf('t1'), response)).rejects.toMatchObject({ kind: 'not-media' });
    expect((await store.usage()).bytes).toBe(0);
  });

  it('a 200 with an empty body is no copy (a broken link, not an empty video)', async () => {
    const { store } = newStore();
    for (const body of [null, '']) {
      await expect(store.saveFromResponse(KEY, metaOf('t1'), new Response(body, { status: 200 }))).rejects.toMatchObject({
        kind: 'not-media',
      });
      expect(await store.getRecord(KEY)).toMatchObject({ complete: false, stored: 0, error: { kind: 'not-media' } });
    }
  });

  it('a failure noted after a complete copy leaves the copy as it was', async () => {
    const { store } = newStore();
    await store.saveStream(KEY, metaOf('t1'), streamOf(bytesOf(100)).stream);
    await expect(store.saveFromResponse(KEY, metaOf('t1'), new Response('', { status: 404 }))).rejects.toMatchObject({ kind: 'http' });
    const record = await store.getRecord(KEY);
    expect(record?.complete).toBe(true);
    expect(record?.error).toBeUndefined();
  });

  it('takes mime and size from the headers, ignoring a compressed Content-Length', async () => {
    const { store } = newStore();
    const bytes = bytesOf(3000);
    const compressed = new Response(streamOf(bytes).stream, {
      status: 200,
      headers: { 'Content-Type': 'video/webm', 'Content-Length': '1200', 'Content-Encoding': 'gzip' },
    });
    const record = await store.saveFromResponse(KEY, metaOf('t1'), compressed);
    expect(record).toMatchObject({ complete: true, mime: 'video/webm', size: 3000, stored: 3000 });
  });
});

describe('range helpers', () => {
  const partial = { stored: 4096, complete: false } as CopyRecord;

  it('ask for the rest of a partial copy only', () => {
    expect(rangeHeaderFor(partial)).toBe('bytes=4096-');
    expect(rangeHeaderFor({ ...partial, complete: true })).toBeUndefined();
    expect(rangeHeaderFor({ ...partial, stored: 0 })).toBeUndefined();
    expect(rangeHeaderFor(undefined)).toBeUndefined();
  });

  it("keep the caller's headers beside the Range", () => {
    const init = resumeFetchInit(partial, { headers: { Authorization: 'Bearer x' }, method: 'GET' });
    const headers = new Headers(init.headers);
    expect(headers.get('Range')).toBe('bytes=4096-');
    expect(headers.get('Authorization')).toBe('Bearer x');
    expect(init.method).toBe('GET');
    expect(new Headers(resumeFetchInit(undefined, { headers: { A: 'b' } }).headers).get('Range')).toBeNull();
  });

  it('read Content-Range strictly', () => {
    expect(parseContentRange('bytes 100-199/200')).toEqual({ start: 100, end: 199, total: 200 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9 });
    expect(parseContentRange('bytes */200')).toBeUndefined();
    expect(parseContentRange('bytes 10-5/200')).toBeUndefined();
    expect(parseContentRange('bytes 0-200/200')).toBeUndefined();
    expect(parseContentRange('items 0-9/10')).toBeUndefined();
    expect(parseContentRange(null)).toBeUndefined();
  });

  it('keep no credentials in a stored source URL', () => {
    expect(cleanSourceUrl('https://user:pw@cdn.example/v.mp4?sig=abc&key=k1&token=t&x=sk-123#frag')).toBe(
      'https://cdn.example/v.mp4?sig=abc',
    );
    expect(cleanSourceUrl('data:video/mp4;base64,AAAA')).toBeUndefined();
    expect(cleanSourceUrl('not a url')).toBeUndefined();
  });
});
