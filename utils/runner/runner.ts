import { cancelled, RelayError, redactTurnSecrets } from '../relay/errors';
import type { LiveProgress } from './live-progress';
import type { Settings } from '../settings/settings';
import { LIMITS } from '../settings/settings';
// `t` is a common local name here (a thread, a turn): the UI's words go by `words`.
import { t as words } from '../i18n';
import { readThreads, type ThreadWriter } from '../threads/store';
import {
  isActive,
  isInFlight,
  newId,
  newThread,
  newTurn,
  retriesAsBranch,
  type NewThread,
  type ProtocolName,
  type Thread,
  type ThreadOrigin,
  type Turn,
} from '../threads/model';
import type { Protocol, RelayAccess, TurnEnd, TurnRun } from './protocol';
import { canFollowAgain } from './follow-again';
import type { TurnImage } from '../images/turn-image';
import type { TurnImages } from '../images/turn-images';

export interface RunnerDeps {
  writer: ThreadWriter;
  settings: () => Promise<Settings>;
  /** The wire each thread's turns go over (`thread.protocol`, chat when absent). */
  protocols: Record<ProtocolName, Protocol>;
  now?: () => number;
  /** Called whenever the number of open requests changes (badge, keep-alive). */
  onActivity?: (running: number) => void;
  /** Progress as it is read, ahead of the throttled durable write; null once the turn ends. */
  onLive?: (turnId: string, live: LiveProgress | null) => void;
  /** Called once when a turn reaches a final status (notifications, the local copy). */
  onFinished?: (thread: Thread, turn: Turn) => void;
  /** Where turns' reference images are kept (the media store); without it, none are taken. */
  images?: Pick<TurnImages, 'keep' | 'copy' | 'discard'>;
}

/** What a new thread's first turn asks for besides its prompt. */
export interface StartOptions {
  /** Defaults to the relay's protocol in the settings. */
  protocol?: ProtocolName;
  /** Video jobs: `seconds` and `size` as the relay takes them. */
  seconds?: string;
  size?: string;
  /** Reference images from the page, as data URLs (checked before anything is stored). */
  images?: readonly unknown[];
}

export class JobRunner {
  /**
   * Every job this worker drives. `following`: it only follows or polls a job running on the relay
   * (nothing more is sent): such jobs never count against the concurrency limit, or a few of them
   * could hold new prompts in line for hours.
   */
  private readonly running = new Map<string, { threadId: string; controller: AbortController; following: boolean }>();
  private readonly now: () => number;
  private pumping = Promise.resolve();
  /**
   * Every API key this worker has sent (the setting may change while jobs run): relays echo keys
   * in their answers and errors, and no text of theirs is stored with one in it.
   */
  private readonly secrets = new Set<string>();

  constructor(private readonly deps: RunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** The settings, noting the key they carry so it is hidden from anything the relay says. */
  private async settings(): Promise<Settings> {
    const settings = await this.deps.settings();
    if (settings.apiKey) this.secrets.add(settings.apiKey);
    return settings;
  }

  async start(prompt: string, model: string, origin: ThreadOrigin, options: StartOptions = {}): Promise<NewThread> {
    const text = checkPrompt(prompt);
    const protocol = options.protocol ?? (await this.deps.settings()).protocol;
    const fresh = newThread(text, model.trim(), origin, this.now());
    const [turn] = fresh.turns;
    const asked = protocol === 'jobs' ? { ...turn, ...jobParams(options) } : turn;
    // The images are stored before the turn: a turn in the queue can always be sent as asked.
    const images = await this.keepImages(fresh.id, asked.id, options.images);
    const thread: NewThread = { ...fresh, protocol, turns: [images ? { ...asked, images } : asked] };
    // Strict: if storage refuses the new turn, nothing is sent (the user could not see the job).
    await this.kept(thread.turns, () => this.deps.writer.put(thread, { immediate: true, strict: true }));
    this.pump();
    return thread;
  }

  /** The refs of a new turn's images, once stored; undefined when it has none. */
  private async keepImages(threadId: string, turnId: string, images: readonly unknown[] | undefined): Promise<TurnImage[] | undefined> {
    if (!images?.length) return undefined;
    if (!this.deps.images) throw new Error(words('image_missing'));
    return this.deps.images.keep(threadId, turnId, images);
  }

  /** The images of `from` for a new turn: the same bytes under the new turn's keys. */
  private async copyImages(from: Turn | undefined, threadId: string, turnId: string): Promise<TurnImage[] | undefined> {
    if (!from?.images?.length) return undefined;
    if (!this.deps.images) throw new Error(words('image_missing'));
    return this.deps.images.copy(from, threadId, turnId);
  }

  /** Runs `write`; if it fails, the images stored for these turns go too (no turn refers to them). */
  private async kept<T>(turns: readonly Turn[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      for (const t of turns) if (t.images?.length) await this.deps.images?.discard(t.id, t.images.length);
      throw err;
    }
  }

  /**
   * A new version of the thread's video from an instruction. `fresh` (video jobs): a new video
   * from the instruction instead of a remix, for a relay that cannot remix.
   */
  async modify(
    threadId: string,
    prompt: string,
    options: { fresh?: boolean; images?: readonly unknown[]; imagesFrom?: Turn } = {},
  ): Promise<Turn> {
    const text = checkPrompt(prompt);
    let turn = newTurn(text, this.now());
    if (options.images?.length || options.imagesFrom?.images?.length) {
      // Checked before the images are stored, and again below where it counts.
      const current = await this.deps.writer.get(threadId);
      if (!current) throw new Error(words('threadGone'));
      if (current.turns.some((x) => isActive(x.status))) throw new Error(words('threadBusy'));
      const images =
        (await this.keepImages(threadId, turn.id, options.images)) ?? (await this.copyImages(options.imagesFrom, threadId, turn.id));
      if (images) turn = { ...turn, images };
    }
    const updated = await this.kept([turn], () =>
      this.deps.writer.update(
        threadId,
        (t) => {
          if (t.turns.some((x) => isActive(x.status))) throw new Error(words('threadBusy'));
          // A new video (not a remix) is asked for with the thread's own duration and size.
          if (t.protocol === 'jobs') {
            const first = t.turns[0];
            turn = { ...turn, ...jobParams({ seconds: first?.seconds, size: first?.size }), ...(options.fresh && { fresh: true }) };
          }
          return { ...t, updatedAt: this.now(), turns: [...t.turns, turn] };
        },
        { immediate: true, strict: true },
      ),
    );
    if (!updated) {
      if (turn.images) await this.deps.images?.discard(turn.id, turn.images.length);
      throw new Error(words('threadGone'));
    }
    this.pump();
    return turn;
  }

  /**
   * "Modify from here": a new thread holding the turns up to and including a completed version,
   * plus the new instruction, so no version is ever overwritten.
   */
  async branch(threadId: string, turnId: string, prompt: string): Promise<Thread> {
    const text = checkPrompt(prompt);
    const source = await this.deps.writer.get(threadId);
    const at = source?.turns.findIndex((t) => t.id === turnId) ?? -1;
    if (!source || at < 0) throw new Error(words('videoGone'));
    if (source.turns[at]?.status !== 'completed') throw new Error(words('onlyFinishedModify'));
    return this.fork(source, at + 1, text, words('branchTitle', { title: source.title, n: at + 1 }));
  }

  /**
   * A new thread: the completed versions among the first `upTo` turns of `source`, then `prompt`
   * (sent with the images of `imagesFrom`, a retried turn). Their images are copied to the new
   * turns, so the branch keeps them whatever becomes of the source thread.
   */
  private async fork(source: Thread, upTo: number, prompt: string, title: string, imagesFrom?: Turn): Promise<Thread> {
    const kept = source.turns.slice(0, upTo).filter((t) => t.status === 'completed');
    const base: Thread = { ...newThread(prompt, source.model, 'branch', this.now()), title, protocol: source.protocol };
    const first = source.turns[0];
    const asked = base.turns.map((t) =>
      source.protocol === 'jobs' ? { ...t, ...jobParams({ seconds: first?.seconds, size: first?.size }) } : t,
    );
    const turns: Turn[] = [];
    const thread: Thread = { ...base, turns };
    await this.kept(turns, async () => {
      for (const [i, t] of [...kept, ...asked].entries()) {
        const copy = i < kept.length;
        const id = copy ? newId('turn') : t.id;
        const { images: _own, ...rest } = t;
        const images = await this.copyImages(copy ? t : imagesFrom, thread.id, id);
        // The copied versions show the same local copies, kept under the original turn's id.
        turns.push({ ...rest, id, ...(copy && { mediaOf: t.mediaOf ?? t.id }), ...(images && { images }) });
      }
      // Strict: if storage refuses the new turn, nothing is sent (the user could not see the job).
      await this.deps.writer.put(thread, { immediate: true, strict: true });
    });
    this.pump();
    return thread;
  }

  /**
   * The same prompt again, on the same base: a new paid generation, so only ever on the user's
   * click. A turn appended to the thread builds on every version completed before it, which is
   * the failed turn's own base only while no version completed after it; otherwise the retry is
   * a new thread from that base (retrying v2 of v1, v2 ✗, v3 must not remix v3).
   */
  async retry(threadId: string, turnId: string): Promise<{ threadId: string; turnId: string }> {
    const thread = await this.deps.writer.get(threadId);
    const at = thread?.turns.findIndex((t) => t.id === turnId) ?? -1;
    const old = thread?.turns[at];
    if (!thread || !old) throw new Error(words('videoGone'));
    if (isActive(old.status) || old.status === 'completed') throw new Error(words('onlyFailedRetry'));
    // A relay that cannot remix gets what the user was offered instead: a new video from the words.
    const fresh = old.error?.kind === 'remix-unsupported' || old.fresh === true;
    if (!retriesAsBranch(thread, at)) return { threadId, turnId: (await this.modify(threadId, old.prompt, { fresh, imagesFrom: old })).id };
    const fork = await this.fork(thread, at, old.prompt, words('retryTitle', { title: thread.title, n: at + 1 }), old);
    return { threadId: fork.id, turnId: fork.turns[fork.turns.length - 1]?.id ?? '' };
  }

  /**
   * Follows an interrupted job again (the user just granted the host permission it lacked).
   * Nothing is sent to the API: the job was paid for and may be running. Only the thread's last
   * turn: an older one is no longer what a new version builds on.
   */
  async followAgain(threadId: string, turnId: string): Promise<void> {
    const thread = await this.deps.writer.get(threadId);
    const turn = thread?.turns[thread.turns.length - 1];
    if (!turn || turn.id !== turnId || !canFollowAgain(turn)) throw new Error(words('cannotFollowAgain'));
    if (this.running.has(turnId)) return;
    // Held before the first await: a recovery (the wake alarm) must not pick the turn up too.
    const placeholder = { threadId, controller: new AbortController(), following: true };
    this.running.set(turnId, placeholder);
    try {
      const settings = await this.settings();
      const back = await this.patchTurn(threadId, turnId, (t) =>
        canFollowAgain(t) ? { ...t, status: (t.progress ?? 0) > 0 ? 'generating' : 'queued', error: undefined, finishedAt: undefined } : t,
      );
      if (!back || !isInFlight(back.turn.status)) throw new Error(words('cannotFollowAgain'));
      if (this.running.get(turnId) === placeholder) this.running.delete(turnId);
      this.launch(back.thread, back.turn, settings, (protocol, run) => protocol.resume(run, 'access'), true);
    } finally {
      if (this.running.get(turnId) === placeholder) this.running.delete(turnId);
    }
  }

  async cancel(threadId: string, turnId: string): Promise<void> {
    const job = this.running.get(turnId);
    if (job) {
      job.controller.abort(cancelled());
      return;
    }
    // Not running here: still pending, or left over from a stopped worker.
    await this.patchTurn(threadId, turnId, (t) => (isActive(t.status) ? this.ended(t, { status: 'cancelled' }) : t));
  }

  async remove(threadId: string): Promise<void> {
    for (const [turnId, job] of this.running) {
      if (job.threadId === threadId) {
        job.controller.abort(cancelled());
        this.running.delete(turnId);
      }
    }
    await this.deps.writer.remove(threadId);
    this.deps.onActivity?.(this.running.size);
    this.pump();
  }

  /**
   * On every worker start (and every wake alarm): a request that was in flight when the worker
   * died cannot be picked up again, and re-sending it would bill the user twice. So each such turn
   * goes to its protocol to be finished from what was stored (the chat answer's text, its task
   * source, a job id to poll), or marked interrupted with all it had received. Turns still waiting
   * in the local queue start normally. Idempotent: turns running here are left alone.
   */
  async recover(): Promise<void> {
    // Serialised with the queue: a start-up recovery and an alarm's must not both pick a turn up.
    const done = this.pumping.then(() => this.recoverNow());
    this.pumping = done.catch(() => {});
    await done;
    this.pump();
  }

  private async recoverNow(): Promise<void> {
    const settings = await this.settings();
    // Only the last turn of a thread can be unfinished (one job per thread), so the index says
    // which threads to look at without reading the whole history.
    const { value: threads } = await this.activeThreads();
    for (const stored of threads) {
      const thread = await this.deps.writer.get(stored.id);
      if (!thread) continue;
      for (const turn of thread.turns) {
        if (!isInFlight(turn.status) || this.running.has(turn.id)) continue;
        this.launch(thread, turn, settings, (protocol, run) => protocol.resume(run, 'restart'), true);
      }
    }
  }

  /**
   * Runs `body` for a turn as a job (concurrency, cancel, keep-alive) and stores how it ended.
   * `following`: the turn only follows or polls a job already on the relay, from the start.
   */
  private launch(
    thread: Thread,
    turn: Turn,
    settings: Settings,
    body: (protocol: Protocol, run: TurnRun) => Promise<TurnEnd>,
    following = false,
  ): void {
    const controller = new AbortController();
    const job = { threadId: thread.id, controller, following };
    this.running.set(turn.id, job);
    this.deps.onActivity?.(this.running.size);
    const protocol = this.deps.protocols[thread.protocol ?? 'chat'];
    const run: TurnRun = {
      relay: relayAccess(settings),
      thread,
      index: thread.turns.findIndex((x) => x.id === turn.id),
      turn,
      signal: controller.signal,
      now: this.now,
      update: async (change, phase) =>
        (await this.patchTurn(thread.id, turn.id, (t) => (isInFlight(t.status) ? change(t) : t), phase))?.turn,
      live: (t) => {
        if (t.status === 'queued' || t.status === 'generating')
          this.deps.onLive?.(turn.id, { threadId: thread.id, turnId: turn.id, progress: t.progress ?? 0, status: t.status });
      },
      detach: () => {
        if (job.following) return;
        // From here on nothing more is sent: the place this job held is free for the next prompt.
        job.following = true;
        this.pump();
      },
    };
    void body(protocol, run)
      .catch((err: unknown): TurnEnd => {
        if (controller.signal.aborted || (err instanceof RelayError && err.kind === 'cancelled')) return { status: 'cancelled' };
        return {
          status: 'failed',
          error: { kind: 'protocol', message: words('unexpectedError', { detail: err instanceof Error ? err.message : String(err) }) },
        };
      })
      .then((end) => this.finish(thread.id, turn.id, end))
      .catch(() => {})
      .finally(() => {
        // Only this job's own entry: another run of the turn may have taken its place since.
        if (this.running.get(turn.id) === job) this.running.delete(turn.id);
        this.deps.onActivity?.(this.running.size);
        this.pump();
      });
  }

  /** Stores how a turn ended (unless it already had), then tells the pages and the notifications. */
  private async finish(threadId: string, turnId: string, end: TurnEnd): Promise<void> {
    const outcome = { ended: false };
    const finished = await this.patchTurn(threadId, turnId, (t) => {
      if (!isInFlight(t.status)) return t;
      outcome.ended = true;
      const { error, ...rest } = 'error' in end ? end : { ...end, error: undefined };
      return this.ended(t, {
        ...end.turn,
        status: rest.status,
        error,
        ...(rest.status === 'completed' && { progress: 100 }),
      });
    });
    this.deps.onLive?.(turnId, null);
    // Told once: a second run that found the turn already ended has nothing to announce.
    if (finished && outcome.ended) this.deps.onFinished?.(finished.thread, finished.turn);
  }

  /** Starts pending turns, oldest first, while fewer than the concurrency limit are running. */
  pump(): void {
    this.pumping = this.pumping.then(() => this.fill()).catch(() => {});
  }

  /** Resolves when every job started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await this.pumping;
    while (this.running.size) {
      await new Promise((r) => setTimeout(r, 5));
      await this.pumping;
    }
  }

  /** Requests open to the relay now (jobs only followed or polled send nothing). */
  private sending(): number {
    let n = 0;
    for (const job of this.running.values()) if (!job.following) n++;
    return n;
  }

  private async fill(): Promise<void> {
    const settings = await this.settings();
    const limit = Math.min(Math.max(settings.concurrency, LIMITS.concurrency.min), LIMITS.concurrency.max);
    if (this.sending() >= limit) return;
    const { value: threads } = await this.activeThreads();
    const waiting: { thread: Thread; turn: Turn }[] = [];
    for (const thread of threads) {
      // Deleted since the index was read: its pending turn must never start.
      const latest = await this.deps.writer.get(thread.id);
      if (!latest) continue;
      for (const turn of latest.turns) if (turn.status === 'pending' && !this.running.has(turn.id)) waiting.push({ thread: latest, turn });
    }
    waiting.sort((a, b) => a.turn.createdAt - b.turn.createdAt);
    for (const { thread, turn } of waiting) {
      if (this.sending() >= limit) break;
      void this.startTurn(thread.id, turn.id, settings);
    }
  }

  /** A pending turn leaves the local queue: it is marked sent, then its protocol sends it. */
  private async startTurn(threadId: string, turnId: string, settings: Settings): Promise<void> {
    // Held before the first await, so the queue counts it at once.
    const placeholder = { threadId, controller: new AbortController(), following: false };
    this.running.set(turnId, placeholder);
    // Set inside the update: `as boolean` keeps TypeScript from taking it for false below.
    let startable = false as boolean;
    const started = await this.patchTurn(threadId, turnId, (t) => {
      startable = t.status === 'pending';
      return startable ? { ...t, status: 'queued', startedAt: this.now(), progress: 0 } : t;
    }).catch(() => undefined);
    if (this.running.get(turnId) === placeholder) this.running.delete(turnId);
    // Cancelled or deleted between being picked and starting here.
    if (!startable || !started) {
      this.pump();
      return;
    }
    if (placeholder.controller.signal.aborted) {
      await this.finish(threadId, turnId, { status: 'cancelled' });
      this.pump();
      return;
    }
    this.launch(started.thread, started.turn, settings, (protocol, run) => protocol.start(run));
  }

  /** A turn at its end: when, and no longer following anything. */
  private ended(t: Turn, end: Partial<Turn> & { status: Turn['status'] }): Turn {
    return { ...t, finishedAt: this.now(), resume: undefined, ...end };
  }

  private activeThreads() {
    // Oldest first, so turns created in the same millisecond keep the order they were asked in.
    const ids = this.deps.writer
      .entries()
      .filter((e) => isActive(e.lastStatus))
      .map((e) => e.id)
      .reverse();
    return readThreads(ids);
  }

  private async patchTurn(
    threadId: string,
    turnId: string,
    fn: (t: Turn) => Turn,
    immediate = true,
  ): Promise<{ thread: Thread; turn: Turn } | undefined> {
    let turn: Turn | undefined;
    const thread = await this.deps.writer.update(
      threadId,
      (t) => ({
        ...t,
        updatedAt: this.now(),
        // Whatever the relay said goes through here before it is stored, shown or notified.
        turns: t.turns.map((x) => (x.id === turnId ? (turn = redactTurnSecrets(fn(x), this.secrets)) : x)),
      }),
      { immediate },
    );
    return thread && turn ? { thread, turn } : undefined;
  }
}

/** The relay a turn runs on, from the settings. */
export function relayAccess(settings: Settings): RelayAccess {
  return {
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    stallTimeoutMs: settings.stallTimeoutMin * 60_000,
    videosFlavour: settings.videosFlavour,
  };
}

/** Only the video-job fields that were given (a turn stores no empty ones). */
function jobParams(options: { seconds?: string; size?: string }): Partial<Turn> {
  return { ...(options.seconds && { seconds: options.seconds }), ...(options.size && { size: options.size }) };
}

export function checkPrompt(prompt: string): string {
  const text = prompt.trim();
  if (!text) throw new Error(words('promptNeeded'));
  if (text.length > LIMITS.promptMax) throw new Error(words('promptTooLong', { n: text.length, max: LIMITS.promptMax }));
  return text;
}
