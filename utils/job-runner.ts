import { cancelled, RelayError, redactSecret, redactTurnSecrets, type TurnError } from './errors';
import type { LiveProgress } from './live-progress';
import type { ChatRequest } from './chat-stream';
import { safeHttpUrl } from './safe-url';
import type { Settings } from './settings';
import { LIMITS } from './settings';
// `t` is a common local name here (a thread, a turn): the UI's words go by `words`.
import { t as words } from './i18n';
import { readThreads, type ThreadWriter } from './store';
import type { TaskSnapshot } from './task-report';
import { followTaskSource, type FollowOptions, type FollowResult, type TaskSourceState } from './task-source';
import {
  applySnapshot,
  buildMessages,
  isActive,
  isInFlight,
  newId,
  newThread,
  newTurn,
  retriesAsBranch,
  type ResumeReason,
  type Thread,
  type ThreadOrigin,
  type Turn,
} from './threads';

export interface RunnerDeps {
  writer: ThreadWriter;
  settings: () => Promise<Settings>;
  stream: (req: ChatRequest) => AsyncIterable<string>;
  parse: (content: string) => TaskSnapshot;
  now?: () => number;
  /** Called whenever the number of open requests changes (badge, keep-alive). */
  onActivity?: (running: number) => void;
  /** Progress as it is read, ahead of the throttled durable write; null once the turn ends. */
  onLive?: (turnId: string, live: LiveProgress | null) => void;
  /** Called once when a turn reaches a final status (notifications). */
  onFinished?: (thread: Thread, turn: Turn) => void;
  /** Follows a job on its task source link; defaults to followTaskSource (injected in tests). */
  follow?: (url: string, opts: FollowOptions) => Promise<FollowResult>;
  /** Extra options for every follow (poll delays in tests). */
  followOptions?: Partial<FollowOptions>;
  /**
   * Whether the extension may read this URL's origin (a host permission). A task source on a
   * host it may not read fails every poll (CORS): the turn then says so instead of waiting.
   */
  canRead?: (url: string) => Promise<boolean>;
}

/**
 * An answer longer than this (content and reasoning together) is not a video report but a relay
 * gone wrong, or a hostile one: the turn fails instead of filling memory and storage.
 */
export const MAX_ANSWER_CHARS = 2 * 1024 * 1024;

/** How long after a request left a job may still be followed on its task source. */
export const FOLLOW_DEADLINE_MS = 3 * 60 * 60_000;

/**
 * Re-parsing the whole report on every delta is O(n) per chunk; for a hostile multi-megabyte
 * answer that turns quadratic. The report only needs to be read as often as a person can see a
 * change, and always once more at the end.
 */
export const PARSE_INTERVAL_MS = 50;

const FINAL_FIELDS = ['taskId', 'sid', 'videoUrl', 'previewUrl', 'taskPageUrl', 'taskSourceUrl'] as const;

export class JobRunner {
  /**
   * Every job this worker drives. `following`: only polled on its task source (nothing is sent):
   * such jobs never count against the concurrency limit, or three of them could hold new prompts
   * in line for hours.
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

  async start(prompt: string, model: string, origin: ThreadOrigin): Promise<Thread> {
    const text = checkPrompt(prompt);
    const thread = newThread(text, model.trim(), origin, this.now());
    // Strict: if storage refuses the new turn, nothing is sent (the user could not see the job).
    await this.deps.writer.put(thread, { immediate: true, strict: true });
    this.pump();
    return thread;
  }

  async modify(threadId: string, prompt: string): Promise<Turn> {
    const text = checkPrompt(prompt);
    const turn = newTurn(text, this.now());
    const updated = await this.deps.writer.update(
      threadId,
      (t) => {
        if (t.turns.some((x) => isActive(x.status)))
          throw new Error(words('threadBusy'));
        return { ...t, updatedAt: this.now(), turns: [...t.turns, turn] };
      },
      { immediate: true, strict: true },
    );
    if (!updated) throw new Error(words('threadGone'));
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
    if (source.turns[at]!.status !== 'completed') throw new Error(words('onlyFinishedModify'));
    return this.fork(source, at + 1, text, words('branchTitle', { title: source.title, n: at + 1 }));
  }

  /** A new thread: the completed versions among the first `upTo` turns of `source`, then `prompt`. */
  private async fork(source: Thread, upTo: number, prompt: string, title: string): Promise<Thread> {
    const kept = source.turns.slice(0, upTo).filter((t) => t.status === 'completed');
    const thread: Thread = { ...newThread(prompt, source.model, 'branch', this.now()), title };
    thread.turns = [...kept.map((t) => ({ ...t, id: newId('turn') })), ...thread.turns];
    // Strict: if storage refuses the new turn, nothing is sent (the user could not see the job).
    await this.deps.writer.put(thread, { immediate: true, strict: true });
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
    if (!retriesAsBranch(thread, at)) return { threadId, turnId: (await this.modify(threadId, old.prompt)).id };
    const fork = await this.fork(thread, at, old.prompt, words('retryTitle', { title: thread.title, n: at + 1 }));
    return { threadId: fork.id, turnId: fork.turns[fork.turns.length - 1]!.id };
  }

  /**
   * Follows an interrupted job on its task source again (the user just granted the host
   * permission it lacked). Nothing is sent to the API: the job was paid for and may be running.
   * Only the thread's last turn: an older one is no longer what a new version builds on.
   */
  async followAgain(threadId: string, turnId: string): Promise<void> {
    const thread = await this.deps.writer.get(threadId);
    const turn = thread?.turns[thread.turns.length - 1];
    if (!turn || turn.id !== turnId || turn.status !== 'interrupted' || !safeHttpUrl(turn.taskSourceUrl))
      throw new Error(words('cannotFollowAgain'));
    if (this.running.has(turnId)) return;
    const back = await this.patchTurn(threadId, turnId, (t) =>
      t.status === 'interrupted' ? { ...t, status: (t.progress ?? 0) > 0 ? 'generating' : 'queued', error: undefined, finishedAt: undefined } : t,
    );
    if (!back || !isInFlight(back.turn.status)) throw new Error(words('cannotFollowAgain'));
    this.launch(threadId, turnId, (controller) => this.follow(threadId, turnId, controller.signal, 'access'), true);
  }

  async cancel(threadId: string, turnId: string): Promise<void> {
    const job = this.running.get(turnId);
    if (job) {
      job.controller.abort(cancelled());
      return;
    }
    // Not running here: still pending, or left over from a stopped worker.
    await this.patchTurn(threadId, turnId, (t) =>
      isActive(t.status) ? this.ended(t, { status: 'cancelled' }) : t,
    );
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
   * is finished from its text if the answer had ended, followed on its task source link when the
   * relay gave one, and otherwise marked interrupted with all it had received. Turns still waiting
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
    // Only the last turn of a thread can be unfinished (one job per thread), so the index says
    // which threads to look at without reading the whole history.
    await this.settings();
    const { value: threads } = await this.activeThreads();
    for (const stored of threads) {
      const thread = await this.deps.writer.get(stored.id);
      if (!thread) continue;
      for (const turn of thread.turns) {
        if (!isInFlight(turn.status) || this.running.has(turn.id)) continue;
        const snap = this.deps.parse(turn.content);
        const source = safeHttpUrl(turn.taskSourceUrl);
        if (snap.phase === 'failed' || (snap.phase === 'completed' && snap.videoUrl)) {
          // The answer was complete; the worker died before it recorded the end.
          const finished = await this.patchTurn(thread.id, turn.id, (t) => this.settle(applySnapshot(t, snap, t.content), snap, undefined));
          if (finished) this.deps.onFinished?.(finished.thread, finished.turn);
        } else if (source) {
          this.launch(thread.id, turn.id, (controller) => this.follow(thread.id, turn.id, controller.signal, 'restart'), true);
        } else {
          const finished = await this.patchTurn(thread.id, turn.id, (t) =>
            isInFlight(t.status)
              ? this.ended(t, { status: 'interrupted', error: { kind: 'interrupted', message: words('lost_restart', { task: taskIdText(t) }) } })
              : t,
          );
          if (finished) this.deps.onFinished?.(finished.thread, finished.turn);
        }
      }
    }
  }

  /** Registers a job as running (concurrency, cancel, keep-alive) until `body` settles. */
  private launch(threadId: string, turnId: string, body: (controller: AbortController) => Promise<void>, following = false): void {
    const controller = new AbortController();
    this.running.set(turnId, { threadId, controller, following });
    this.deps.onActivity?.(this.running.size);
    void body(controller)
      .catch(() => {})
      .finally(() => {
        this.running.delete(turnId);
        this.deps.onActivity?.(this.running.size);
        this.pump();
      });
  }

  /**
   * Follows a job on its task source until it completes or fails: progress and phase as the relay
   * reports them, then the video (and preview) from its JSON. Sends nothing to the API.
   */
  private async follow(threadId: string, turnId: string, signal: AbortSignal, reason: ResumeReason): Promise<void> {
    // From here on nothing is sent: the slot this job held is free for the next prompt.
    const job = this.running.get(turnId);
    if (job && !job.following) {
      job.following = true;
      this.pump();
    }
    const begun = await this.patchTurn(threadId, turnId, (t) =>
      isInFlight(t.status) ? { ...t, error: undefined, resume: { reason, since: this.now() } } : t,
    );
    if (!begun || !isInFlight(begun.turn.status)) return;
    const url = safeHttpUrl(begun.turn.taskSourceUrl);
    if (!url) return;
    const settings = await this.settings();
    let current = begun.turn;
    let result: FollowResult | 'cancelled';
    /** Set when the source cannot be read for want of a host permission: the origin to ask for. */
    let blocked: string | undefined;
    try {
      result = await (this.deps.follow ?? followTaskSource)(url, {
        ...this.deps.followOptions,
        signal,
        secret: settings.apiKey,
        deadline: (current.startedAt ?? current.createdAt) + FOLLOW_DEADLINE_MS,
        // As long as a stream may stay silent: a source failing that long is as good as gone.
        maxFailingMs: settings.stallTimeoutMin * 60_000,
        onFailure: async ({ network }) => {
          if (!network || !this.deps.canRead || (await this.deps.canRead(url).catch(() => true))) return false;
          blocked = new URL(url).origin;
          return true;
        },
        onUpdate: async (state: TaskSourceState) => {
          const moving = state.status === 'generating' || ((state.progress ?? 0) > 0 && state.status !== 'queued');
          const status = moving ? 'generating' : current.status;
          const progress = Math.max(current.progress ?? 0, state.progress ?? 0);
          if (status === current.status && progress === current.progress) return;
          const changed = status !== current.status;
          const next = await this.patchTurn(threadId, turnId, (t) => (isInFlight(t.status) ? { ...t, status, progress } : t), changed);
          if (next) current = next.turn;
        },
      });
    } catch (err) {
      if (signal.aborted || (err instanceof RelayError && err.kind === 'cancelled')) result = 'cancelled';
      else result = { outcome: 'lost', reason: err instanceof Error ? err.message : String(err) };
    }
    if (signal.aborted) result = 'cancelled';

    const finished = await this.patchTurn(threadId, turnId, (t) => {
      if (!isInFlight(t.status)) return t;
      if (result === 'cancelled') return this.ended(t, { status: 'cancelled' });
      if (result.outcome === 'completed') {
        const { state } = result;
        const sid = t.sid ?? state.sid;
        return this.ended(t, {
          status: 'completed',
          progress: 100,
          error: undefined,
          videoUrl: state.videoUrl,
          ...(!t.previewUrl && state.previewUrl && { previewUrl: state.previewUrl }),
          ...(sid && { sid }),
          // The next turn sends this text back and the relay finds the video to remix by its sid.
          content: sid && !t.content.includes(sid) ? `${t.content}\n> sid: ${sid}\n` : t.content,
        });
      }
      if (result.outcome === 'failed')
        return this.ended(t, { status: 'failed', error: { kind: 'generation', message: result.failure, serverMessage: result.failure } });
      if (blocked)
        return this.ended(t, {
          status: 'interrupted',
          error: { kind: 'interrupted', message: words('lost_access', { host: new URL(blocked).host, task: taskIdText(t) }), needsAccess: blocked },
        });
      const why = redactSecret(result.reason, settings.apiKey);
      return this.ended(t, { status: 'interrupted', error: { kind: 'interrupted', message: words('lost_following', { reason: why, task: taskIdText(t) }) } });
    });
    // The stream's live progress (storage.session) ends with the job, here as after a stream.
    this.deps.onLive?.(turnId, null);
    if (finished && !isInFlight(finished.turn.status)) this.deps.onFinished?.(finished.thread, finished.turn);
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

  /** Requests open to the relay now (jobs only followed on their task source send nothing). */
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
      this.launch(thread.id, turn.id, (controller) => this.run(thread.id, turn.id, controller, settings));
    }
  }

  private async run(threadId: string, turnId: string, controller: AbortController, settings: Settings): Promise<void> {
    // The turn may have been cancelled or deleted between being picked and starting here.
    let startable = false;
    const started = await this.patchTurn(threadId, turnId, (t) => {
      startable = t.status === 'pending';
      return startable ? { ...t, status: 'queued', startedAt: this.now(), progress: 0 } : t;
    });
    if (!startable) return;
    const thread = started?.thread;
    const index = thread?.turns.findIndex((t) => t.id === turnId) ?? -1;
    if (!thread || index < 0) return;

    let content = '';
    let lastParse = -Infinity;
    let turn = thread.turns[index]!;
    let trailing: ReturnType<typeof setTimeout> | undefined;
    const absorb = async (force: boolean): Promise<void> => {
      const wait = PARSE_INTERVAL_MS - (this.now() - lastParse);
      if (!force && wait > 0) {
        // A burst, then silence (a stall, a stopped worker): the last deltas are still read and
        // stored within the interval, not only when the stream ends.
        trailing ??= setTimeout(() => {
          trailing = undefined;
          void absorb(false).catch(() => {});
        }, wait);
        return;
      }
      if (trailing !== undefined) clearTimeout(trailing);
      trailing = undefined;
      lastParse = this.now();
      const next = applySnapshot(turn, this.deps.parse(content), content);
      const changedPhase = next.status !== turn.status || FINAL_FIELDS.some((f) => next[f] !== turn[f]);
      if ((next.status === 'queued' || next.status === 'generating') && (next.progress !== turn.progress || next.status !== turn.status))
        this.deps.onLive?.(turnId, { threadId, turnId, progress: next.progress ?? 0, status: next.status });
      turn = next;
      // A phase change is stored before reading on; a progress tick is not waited for, so a
      // stream never slows to the pace of storing a multi-megabyte answer.
      const patched = this.patchTurn(threadId, turnId, () => next, changedPhase || force);
      if (changedPhase || force) await patched;
      else void patched.catch(() => {});
    };

    let error: TurnError | undefined;
    let cancelled = false;
    try {
      const stream = this.deps.stream({
        baseUrl: settings.baseUrl,
        apiKey: settings.apiKey,
        model: thread.model,
        messages: buildMessages(thread.turns, index),
        signal: controller.signal,
        stallTimeoutMs: settings.stallTimeoutMin * 60_000,
      });
      for await (const delta of stream) {
        content += delta;
        if (content.length > MAX_ANSWER_CHARS) throw new RelayError('protocol', words('answerTooLarge', { size: '2 MB' }));
        await absorb(false);
      }
    } catch (err) {
      if (err instanceof RelayError && err.kind === 'cancelled') cancelled = true;
      else if (err instanceof RelayError) error = err.toJSON();
      else error = { kind: 'protocol', message: words('unexpectedError', { detail: err instanceof Error ? err.message : String(err) }) };
    }
    if (controller.signal.aborted && !error) cancelled = true;
    // The last read of the answer is folded into the final write below (one write, not two in
    // the same millisecond), or stored first when the job goes on from its task source.
    if (trailing !== undefined) clearTimeout(trailing);
    const snap = this.deps.parse(content);
    turn = applySnapshot(turn, snap, content);
    // A cancel that lands once the relay has delivered the video (the answer was only waiting to
    // be closed) would throw away a paid result: the turn completes instead.
    if (cancelled && snap.phase === 'completed' && snap.videoUrl) cancelled = false;
    // The stream is gone but the job may not be: with a task source link, follow it there
    // (never by sending the prompt again).
    if (!cancelled && safeHttpUrl(turn.taskSourceUrl)) {
      const reason: ResumeReason | undefined =
        error?.kind === 'timeout'
          ? 'stall'
          : error?.kind === 'network'
            ? 'network'
            : !error && snap.phase !== 'failed' && !snap.videoUrl
              ? 'incomplete'
              : undefined;
      if (reason) {
        const absorbed = turn;
        await this.patchTurn(threadId, turnId, () => absorbed, true);
        return this.follow(threadId, turnId, controller.signal, reason);
      }
    }
    if (error && (error.kind === 'timeout' || error.kind === 'network') && turn.taskId) {
      error = { ...error, message: words('lost_stream', { what: error.message, id: turn.taskId }) };
    }
    const last = turn;
    const finished = await this.patchTurn(threadId, turnId, () => this.settle({ ...last }, snap, cancelled ? 'cancelled' : error), true);
    this.deps.onLive?.(turnId, null);
    if (finished) this.deps.onFinished?.(finished.thread, finished.turn);
  }

  /** The final state of a turn whose answer has ended. */
  private settle(t: Turn, snap: TaskSnapshot, outcome: TurnError | 'cancelled' | undefined): Turn {
    if (outcome === 'cancelled') return this.ended(t, { status: 'cancelled' });
    if (outcome) return this.ended(t, { status: 'failed', error: outcome });
    if (snap.phase === 'failed') return this.ended(t, { status: 'failed', error: { kind: 'generation', message: snap.failure ?? words('generationFailed') } });
    if (snap.videoUrl) return this.ended(t, { status: 'completed', progress: 100, error: undefined });
    return this.ended(t, { status: 'failed', error: { kind: 'protocol', message: words(t.content ? 'endedNoLink' : 'endedEmpty') } });
  }

  /** A turn at its end: when, and no longer following anything. */
  private ended(t: Turn, end: Partial<Turn> & { status: Turn['status'] }): Turn {
    return { ...t, finishedAt: this.now(), resume: undefined, ...end };
  }

  private activeThreads() {
    // Oldest first, so turns created in the same millisecond keep the order they were asked in.
    const ids = this.deps.writer.entries().filter((e) => isActive(e.lastStatus)).map((e) => e.id).reverse();
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

/** " Its task id is …" for the sentences that tell a user how to find a lost job on the relay. */
function taskIdText(t: Turn): string {
  return t.taskId ? words('taskIdIs', { id: t.taskId }) : '';
}

export function checkPrompt(prompt: string): string {
  const text = prompt.trim();
  if (!text) throw new Error(words('promptNeeded'));
  if (text.length > LIMITS.promptMax)
    throw new Error(words('promptTooLong', { n: text.length, max: LIMITS.promptMax }));
  return text;
}
