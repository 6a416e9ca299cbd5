import type { MediaSource, RelayAccess } from '../runner/protocol';
import type { LocalCopy, Thread, Turn } from '../threads/model';
import { MediaStoreError, RESUMABLE_KINDS } from './errors';
import type { MediaStore } from './index';
import { copyKey } from './keys';
import { cleanSourceUrl } from './response';
import { resumeFetchInit } from './resume';
import type { CopyKind } from './types';

/**
 * Makes the local copy of a finished turn's video (and preview) as soon as it completes: streamed
 * into the media store, progress on the turn, resumed after a worker stop, retried with backoff.
 * The API key goes only with a source the relay's own API serves (`withKey`), never to a CDN.
 */
export interface KeeperDeps {
  media: MediaStore;
  /** The relay a thread's turns run on (for the key of `withKey` sources); undefined once deleted. */
  relay(thread: Thread): Promise<RelayAccess | undefined>;
  /** Where a completed turn's video can be read, best first (from its protocol). */
  videoSources(thread: Thread, turn: Turn, relay: RelayAccess): MediaSource[];
  /** Stores the turn's copy state; `phase` false for progress ticks (the write cap applies). */
  update(threadId: string, turnId: string, copy: (media: Turn['media']) => Turn['media'], phase: boolean): Promise<void>;
  /** Whether a host permission lets the worker read this URL's origin (else only CORS can). */
  canRead(url: string): Promise<boolean>;
  /** The cap on all copies (bytes); the oldest other copies are evicted to fit. */
  capBytes(): Promise<number>;
  /** Copies on screen or being saved are never evicted. */
  inUse?(): ReadonlySet<string>;
  /** How many turns are being copied now (the worker is kept alive while any are). */
  onBusy?(count: number): void;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** Copies that failed for these reasons are tried again at the next worker start. */
const RETRIED_LATER: ReadonlySet<NonNullable<LocalCopy['error']>> = new Set(['network', 'refused']);

/** Waits before the 2nd, 3rd and 4th try of a copy that failed for a passing reason. */
export const RETRY_DELAYS_MS = [5_000, 30_000, 120_000];
/** Progress is stored at most this often per copy (the pages read it from storage). */
const PROGRESS_EVERY_MS = 1_000;

type Failure = { ok: false; error: NonNullable<LocalCopy['error']>; retry: boolean };
type Outcome = { ok: true; bytes: number } | Failure;

/**
 * What a copy that failed on every source says: an expired CDN link explains less than a missing
 * permission or a network fault on another source, and any source worth another try makes it so.
 */
function worse(a: Failure | undefined, b: Failure): Failure {
  if (!a) return b;
  const error = a.error === 'expired' ? b.error : a.error;
  return { ok: false, error, retry: a.retry || b.retry };
}

export class CopyKeeper {
  private readonly busy = new Map<string, Promise<void>>();

  constructor(private readonly deps: KeeperDeps) {}

  /** Copies what a completed turn has no complete copy of yet; one run per turn at a time. */
  keep(thread: Thread, turn: Turn): Promise<void> {
    const running = this.busy.get(turn.id);
    if (running) return running;
    const run = this.keepNow(thread, turn).finally(() => {
      this.busy.delete(turn.id);
      this.deps.onBusy?.(this.busy.size);
    });
    this.busy.set(turn.id, run);
    this.deps.onBusy?.(this.busy.size);
    return run;
  }

  /**
   * After a worker start: every completed turn whose copy was being saved, failed for a passing
   * reason (the network, a refused key — tried again as the turn promises), or that finished since
   * `since` and never got to start one (the worker stopped right after the turn ended).
   */
  resume(threads: readonly Thread[], since: number): void {
    for (const thread of threads)
      for (const turn of thread.turns) {
        if (turn.status !== 'completed' || turn.mediaOf) continue;
        const video = turn.media?.video;
        const again = video?.state === 'saving' || (video?.state === 'failed' && RETRIED_LATER.has(video.error ?? 'network'));
        if (again || (video === undefined && (turn.finishedAt ?? 0) >= since)) void this.keep(thread, turn);
      }
  }

  private async keepNow(thread: Thread, turn: Turn): Promise<void> {
    const relay = await this.deps.relay(thread);
    if (!relay) return;
    const video = this.deps.videoSources(thread, turn, relay);
    await this.copy(thread, turn, 'video', video, relay);
    if (turn.previewUrl) await this.copy(thread, turn, 'preview', [{ url: turn.previewUrl, withKey: false }], relay);
    const keep = new Set([...(this.deps.inUse?.() ?? []), copyKey(turn.id, 'video'), copyKey(turn.id, 'preview')]);
    const evicted = await this.deps.media.evictToFit(await this.deps.capBytes(), { keep }).catch(() => []);
    // The turns whose copies made room say so (their players fall back to the relay's link).
    for (const gone of evicted) {
      if (gone.kind !== 'video' && gone.kind !== 'preview') continue;
      const kind = gone.kind;
      await this.deps
        .update(gone.threadId, gone.turnId, (media) => ({ ...media, [kind]: { state: 'failed', error: 'evicted' } }), true)
        .catch(() => undefined);
    }
  }

  private async copy(
    thread: Thread,
    turn: Turn,
    kind: Extract<CopyKind, 'video' | 'preview'>,
    sources: MediaSource[],
    relay: RelayAccess,
  ): Promise<void> {
    const key = copyKey(turn.id, kind);
    const set = (state: LocalCopy, phase = true) =>
      this.deps.update(thread.id, turn.id, (media) => ({ ...media, [kind]: state }), phase).catch(() => undefined);
    const existing = await this.deps.media.getRecord(key);
    if (existing?.complete) return set({ state: 'saved', bytes: existing.stored });
    if (sources.length === 0) return set({ state: 'failed', error: 'no-source' });
    await set({ state: 'saving', progress: 0 });
    let worst: Failure | undefined;
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) await (this.deps.sleep ?? delay)(RETRY_DELAYS_MS[attempt - 1] as number);
      worst = undefined;
      for (const source of sources) {
        const outcome = await this.try(thread, turn, kind, key, source, relay, set);
        if (outcome.ok) return set({ state: 'saved', bytes: outcome.bytes });
        // Out of space: trying again, or elsewhere, cannot help.
        if (outcome.error === 'quota') return set({ state: 'failed', error: 'quota' });
        worst = worse(worst, outcome);
      }
      if (!worst?.retry) break;
    }
    if (worst) await set({ state: 'failed', error: worst.error });
  }

  private async try(
    thread: Thread,
    turn: Turn,
    kind: CopyKind,
    key: string,
    source: MediaSource,
    relay: RelayAccess,
    set: (state: LocalCopy, phase?: boolean) => Promise<void>,
  ): Promise<Outcome> {
    const partial = await this.deps.media.getRecord(key);
    const init: RequestInit = source.withKey
      ? { headers: { Authorization: `Bearer ${relay.apiKey}` }, credentials: 'omit', cache: 'no-store', redirect: 'error' }
      : { credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
    let response: Response;
    try {
      response = await (this.deps.fetch ?? globalThis.fetch)(
        source.url,
        resumeFetchInit(partial?.sourceUrl === cleanSourceUrl(source.url) ? partial : undefined, init),
      );
    } catch {
      // A fetch that never got an answer: without a host permission that is CORS refusing it.
      const allowed = source.withKey || (await this.deps.canRead(source.url).catch(() => false));
      return { ok: false, error: allowed ? 'network' : 'permission', retry: allowed };
    }
    // The relay's own API refusing the key (new-api refuses an exhausted key even for downloads)
    // is not an expired link: it can work again once the key does.
    if (source.withKey && (response.status === 401 || response.status === 403)) {
      void response.body?.cancel().catch(() => undefined);
      return { ok: false, error: 'refused', retry: true };
    }
    if (response.status === 401 || response.status === 403 || response.status === 404 || response.status === 410) {
      void response.body?.cancel().catch(() => undefined);
      return { ok: false, error: 'expired', retry: false };
    }
    let shown = 0;
    try {
      const record = await this.deps.media.saveFromResponse(
        key,
        { turnId: turn.id, threadId: thread.id, kind, sourceUrl: source.url },
        response,
        {
          onProgress: (stored, total) => {
            const now = Date.now();
            if (!total || now - shown < PROGRESS_EVERY_MS) return;
            shown = now;
            void set({ state: 'saving', progress: Math.min(99, Math.floor((stored / total) * 100)) }, false);
          },
        },
      );
      return { ok: true, bytes: record.stored };
    } catch (error) {
      if (error instanceof MediaStoreError) {
        if (error.kind === 'quota') return { ok: false, error: 'quota', retry: false };
        if (error.kind === 'http' || error.kind === 'not-media') return { ok: false, error: 'expired', retry: false };
        return { ok: false, error: 'network', retry: RESUMABLE_KINDS.has(error.kind) || error.kind === 'source-changed' };
      }
      return { ok: false, error: 'network', retry: true };
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
