import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { CopyKeeper, RETRY_DELAYS_MS, type KeeperDeps } from '@/utils/media/copy-keeper';
import { createMediaStore, copyKey } from '@/utils/media';
import type { MediaSource, RelayAccess } from '@/utils/runner/protocol';
import { newThread, type LocalCopy, type Thread, type Turn } from '@/utils/threads/model';
import { urlOf } from './fetch-input';

const RELAY: RelayAccess = { baseUrl: 'https://relay.test', apiKey: 'sk-keeper-123', stallTimeoutMs: 60_000 };
const VIDEO: Uint8Array<ArrayBuffer> = new Uint8Array(300_000).map((_, i) => i % 251);

function completed(): { thread: Thread; turn: Turn } {
  const thread = newThread('a fox', 'veo-3', 'popup');
  const turn: Turn = { ...thread.turns[0], status: 'completed', videoUrl: 'https://cdn.test/v.mp4', previewUrl: 'https://cdn.test/p.jpg' };
  return { thread: { ...thread, turns: [turn] }, turn };
}

interface Call {
  url: string;
  init: RequestInit;
}

function setup(answer: (call: Call) => Response | Promise<Response>, extra: Partial<KeeperDeps> = {}, sources?: MediaSource[]) {
  const media = createMediaStore({ indexedDB: new IDBFactory(), chunkSize: 64 * 1024 });
  const calls: Call[] = [];
  const states: Record<string, LocalCopy[]> = { video: [], preview: [] };
  let copies: Turn['media'] = {};
  const deps: KeeperDeps = {
    media,
    relay: () => Promise.resolve(RELAY),
    videoSources: (_thread, turn) => sources ?? [{ url: turn.videoUrl!, withKey: false }],
    update: (_threadId, _turnId, change) => {
      const next = change(copies) ?? {};
      for (const kind of ['video', 'preview'] as const) if (next[kind] && next[kind] !== copies?.[kind]) states[kind]!.push(next[kind]);
      copies = next;
      return Promise.resolve();
    },
    canRead: () => Promise.resolve(true),
    capBytes: () => Promise.resolve(2 * 1024 ** 3),
    fetch: vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      const call = { url: urlOf(url), init: init ?? {} };
      calls.push(call);
      return answer(call);
    }),
    sleep: async () => {},
    ...extra,
  };
  return { keeper: new CopyKeeper(deps), media, calls, states, copies: () => copies };
}

const mp4 = (bytes: Uint8Array<ArrayBuffer> = VIDEO, status = 200) =>
  new Response(bytes, { status, headers: { 'content-type': 'video/mp4', 'content-length': String(bytes.length) } });
const jpg = () => new Response(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), { headers: { 'content-type': 'image/jpeg' } });

describe('CopyKeeper', () => {
  it('copies the video and the preview byte for byte, without the key on CDN links, and says so on the turn', async () => {
    const { thread, turn } = completed();
    const { keeper, media, calls, states, copies } = setup((c) => (c.url.endsWith('.mp4') ? mp4() : jpg()));
    await keeper.keep(thread, turn);
    const blob = await media.readBlob(copyKey(turn.id, 'video'));
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(VIDEO);
    expect(blob!.type).toBe('video/mp4');
    expect(await media.readBlob(copyKey(turn.id, 'preview'))).toBeDefined();
    for (const c of calls) expect(new Headers(c.init.headers).get('authorization')).toBeNull();
    expect(copies()).toEqual({ video: { state: 'saved', bytes: VIDEO.length }, preview: { state: 'saved', bytes: 4 } });
    expect(states.video![0]).toEqual({ state: 'saving', progress: 0 });
  });

  it('sends the key only to a source the relay serves itself (/content), and falls back to it when the CDN link expired', async () => {
    const { thread, turn } = completed();
    const sources = [
      { url: 'https://cdn.test/v.mp4', withKey: false },
      { url: 'https://relay.test/v1/videos/task_1/content', withKey: true },
    ];
    const { keeper, media, calls } = setup(
      (c) =>
        c.url.startsWith('https://cdn.test/v.mp4')
          ? new Response('<Error>AccessDenied</Error>', { status: 403 })
          : c.url.endsWith('.jpg')
            ? jpg()
            : mp4(),
      {},
      sources,
    );
    await keeper.keep(thread, turn);
    expect(await media.readBlob(copyKey(turn.id, 'video'))).toBeDefined();
    const keyed = calls.filter((c) => new Headers(c.init.headers).get('authorization') === `Bearer ${RELAY.apiKey}`);
    expect(keyed.map((c) => c.url)).toEqual(['https://relay.test/v1/videos/task_1/content']);
    expect(keyed[0]!.init.redirect).toBe('error');
  });

  it('an expired link with nothing else to read leaves the turn saying why, and the history untouched', async () => {
    const { thread, turn } = completed();
    const { keeper, copies } = setup(() => new Response('gone', { status: 404 }));
    await keeper.keep(thread, turn);
    expect(copies()?.video).toEqual({ state: 'failed', error: 'expired' });
  });

  it('a CDN that CORS refuses, without a host permission, is a missing permission, not a network fault', async () => {
    const { thread, turn } = completed();
    const { keeper, copies } = setup(() => Promise.reject(new TypeError('Failed to fetch')), { canRead: () => Promise.resolve(false) });
    await keeper.keep(thread, turn);
    expect(copies()?.video).toEqual({ state: 'failed', error: 'permission' });
  });

  it('a dropped connection is retried with backoff and resumes where the copy stopped (Range)', async () => {
    const { thread, turn } = completed();
    const waits: number[] = [];
    let n = 0;
    const { keeper, media, calls } = setup(
      (c) => {
        if (c.url.endsWith('.jpg')) return jpg();
        n++;
        if (n === 1) {
          // Half the file, then the connection breaks.
          let pulls = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(ctrl) {
              if (pulls++ === 0) ctrl.enqueue(VIDEO.slice(0, 150_000));
              else ctrl.error(new TypeError('network error'));
            },
          });
          return new Response(body, { headers: { 'content-type': 'video/mp4', 'content-length': String(VIDEO.length) } });
        }
        const range = new Headers(c.init.headers).get('range');
        const from = Number(/bytes=(\d+)-/.exec(range ?? '')?.[1] ?? 0);
        return new Response(VIDEO.slice(from), {
          status: 206,
          headers: {
            'content-type': 'video/mp4',
            'content-range': `bytes ${from}-${VIDEO.length - 1}/${VIDEO.length}`,
            'content-length': String(VIDEO.length - from),
          },
        });
      },
      {
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );
    await keeper.keep(thread, turn);
    expect(waits).toEqual([RETRY_DELAYS_MS[0]]);
    const videoCalls = calls.filter((c) => c.url.endsWith('.mp4'));
    expect(new Headers(videoCalls[1]!.init.headers).get('range')).toMatch(/^bytes=\d+-$/);
    const blob = await media.readBlob(copyKey(turn.id, 'video'));
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(VIDEO);
  });

  it('keeps one run per turn, and finds a complete copy without fetching again', async () => {
    const { thread, turn } = completed();
    const { keeper, calls } = setup((c) => (c.url.endsWith('.mp4') ? mp4() : jpg()));
    await Promise.all([keeper.keep(thread, turn), keeper.keep(thread, turn)]);
    expect(calls).toHaveLength(2);
    await keeper.keep(thread, turn);
    expect(calls).toHaveLength(2);
  });
});

describe('CopyKeeper: what the review found', () => {
  const keyed: MediaSource[] = [{ url: 'https://relay.test/v1/videos/task_1/content', withKey: true }];

  it('a copy that failed on the network is tried again at the next worker start', async () => {
    const { thread, turn } = completed();
    const first = setup(() => Promise.reject(new TypeError('Failed to fetch')), {}, keyed);
    await first.keeper.keep(thread, { ...turn, previewUrl: undefined });
    expect(first.copies()?.video).toEqual({ state: 'failed', error: 'network' });
    const later = setup(() => mp4(), {}, keyed);
    later.keeper.resume([{ ...thread, turns: [{ ...turn, previewUrl: undefined, media: first.copies() }] }], Date.now() + 1);
    await expect.poll(() => later.copies()?.video?.state).toBe('saved');
  });

  it('the relay refusing the key on its own download is not an expired link, and is tried again later', async () => {
    const { thread, turn } = completed();
    const { keeper, copies } = setup(() => new Response('{"error":{"message":"Invalid token"}}', { status: 401 }), {}, keyed);
    await keeper.keep(thread, { ...turn, previewUrl: undefined });
    expect(copies()?.video).toEqual({ state: 'failed', error: 'refused' });
  });

  it('copies evicted to stay under the cap leave their turns saying so', async () => {
    const { thread, turn } = completed();
    const updates: { turnId: string; media: Turn['media'] }[] = [];
    const { keeper, media } = setup((c) => (c.url.endsWith('.mp4') ? mp4() : jpg()), {
      capBytes: () => Promise.resolve(VIDEO.length + 10),
      update: (_threadId, turnId, change) => {
        updates.push({ turnId, media: change({}) });
        return Promise.resolve();
      },
    });
    // An older copy of another turn is there first.
    await media.saveBlob(
      copyKey('turn_old', 'video'),
      { turnId: 'turn_old', threadId: 'thr_old', kind: 'video' },
      new Blob([VIDEO], { type: 'video/mp4' }),
    );
    await keeper.keep(thread, turn);
    expect(updates).toContainEqual({ turnId: 'turn_old', media: { video: { state: 'failed', error: 'evicted' } } });
    expect(await media.readBlob(copyKey(turn.id, 'video'))).toBeDefined();
  });

  it('the reason it says comes from all sources: a missing permission is worth more than an expired link', async () => {
    const { thread, turn } = completed();
    const sources = [
      { url: 'https://cdn.test/v.mp4', withKey: false },
      { url: 'https://other.test/v.mp4', withKey: false },
    ];
    const { keeper, copies } = setup(
      (c) =>
        c.url.startsWith('https://cdn.test') ? Promise.reject(new TypeError('Failed to fetch')) : new Response('gone', { status: 404 }),
      { canRead: () => Promise.resolve(false) },
      sources,
    );
    await keeper.keep(thread, { ...turn, previewUrl: undefined });
    expect(copies()?.video).toEqual({ state: 'failed', error: 'permission' });
  });
});
