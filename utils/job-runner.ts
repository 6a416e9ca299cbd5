import { RelayError, type TurnError } from './errors';
import type { ChatRequest } from './chat-stream';
import type { Settings } from './settings';
import { LIMITS } from './settings';
import { readThreads, type ThreadWriter } from './store';
import type { TaskSnapshot } from './task-report';
import {
  applySnapshot,
  buildMessages,
  isActive,
  isInFlight,
  newId,
  newThread,
  newTurn,
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
  /** Called once when a turn reaches a final status (notifications). */
  onFinished?: (thread: Thread, turn: Turn) => void;
}

/**
 * Re-parsing the whole report on every delta is O(n) per chunk; for a hostile multi-megabyte
 * answer that turns quadratic. The report only needs to be read as often as a person can see a
 * change, and always once more at the end.
 */
export const PARSE_INTERVAL_MS = 50;

const FINAL_FIELDS = ['taskId', 'sid', 'videoUrl', 'previewUrl', 'taskPageUrl', 'taskSourceUrl'] as const;

export class JobRunner {
  private readonly running = new Map<string, { threadId: string; controller: AbortController }>();
  private readonly now: () => number;
  private pumping = Promise.resolve();

  constructor(private readonly deps: RunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  get runningCount(): number {
    return this.running.size;
  }

  async start(prompt: string, model: string, origin: ThreadOrigin): Promise<Thread> {
    const text = checkPrompt(prompt);
    const thread = newThread(text, model.trim(), origin, this.now());
    await this.deps.writer.put(thread, { immediate: true });
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
          throw new Error('This thread already has a video in progress. Wait for it to finish or cancel it first.');
        return { ...t, updatedAt: this.now(), turns: [...t.turns, turn] };
      },
      { immediate: true },
    );
    if (!updated) throw new Error('That thread no longer exists.');
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
    if (!source || at < 0) throw new Error('That video no longer exists.');
    if (source.turns[at]!.status !== 'completed') throw new Error('Only a finished video can be modified.');
    const now = this.now();
    const kept = source.turns.slice(0, at + 1).filter((t) => t.status === 'completed');
    const thread: Thread = {
      ...newThread(text, source.model, 'branch', now),
      title: `${source.title} · from v${at + 1}`,
    };
    thread.turns = [...kept.map((t) => ({ ...t, id: newId('turn') })), ...thread.turns];
    await this.deps.writer.put(thread, { immediate: true });
    this.pump();
    return thread;
  }

  /** A new turn with the same prompt: a new paid generation, so only ever on the user's click. */
  async retry(threadId: string, turnId: string): Promise<Turn> {
    const thread = await this.deps.writer.get(threadId);
    const old = thread?.turns.find((t) => t.id === turnId);
    if (!thread || !old) throw new Error('That video no longer exists.');
    if (isActive(old.status) || old.status === 'completed') throw new Error('Only a failed, cancelled or interrupted video can be retried.');
    return this.modify(threadId, old.prompt);
  }

  async cancel(threadId: string, turnId: string): Promise<void> {
    const job = this.running.get(turnId);
    if (job) {
      job.controller.abort(new RelayError('cancelled', 'Cancelled by you.'));
      return;
    }
    // Not running here: still pending, or left over from a stopped worker.
    await this.patchTurn(threadId, turnId, (t) =>
      isActive(t.status) ? { ...t, status: 'cancelled', finishedAt: this.now() } : t,
    );
  }

  async remove(threadId: string): Promise<void> {
    for (const [turnId, job] of this.running) {
      if (job.threadId === threadId) {
        job.controller.abort(new RelayError('cancelled', 'The thread was deleted.'));
        this.running.delete(turnId);
      }
    }
    await this.deps.writer.remove(threadId);
    this.deps.onActivity?.(this.running.size);
    this.pump();
  }

  /**
   * On every worker start: a request that was in flight when the worker died cannot be picked
   * up again, and re-sending it would bill the user twice, so it is marked interrupted with all
   * it had received; turns still waiting in the local queue start normally.
   */
  async recover(): Promise<void> {
    // Only the last turn of a thread can be unfinished (one job per thread), so the index says
    // which threads to look at without reading the whole history.
    const { value: threads } = await this.activeThreads();
    for (const thread of threads) {
      if (!thread.turns.some((t) => isInFlight(t.status) && !this.running.has(t.id))) continue;
      await this.deps.writer.update(
        thread.id,
        (t) => ({
          ...t,
          turns: t.turns.map((turn) =>
            isInFlight(turn.status) && !this.running.has(turn.id)
              ? {
                  ...turn,
                  status: 'interrupted',
                  finishedAt: this.now(),
                  error: {
                    kind: 'network',
                    message:
                      'The browser stopped the extension while this video was generating. What was received is kept; Retry starts a new generation.',
                  },
                }
              : turn,
          ),
        }),
        { immediate: true },
      );
    }
    this.pump();
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

  private async fill(): Promise<void> {
    const settings = await this.deps.settings();
    const limit = Math.min(Math.max(settings.concurrency, LIMITS.concurrency.min), LIMITS.concurrency.max);
    if (this.running.size >= limit) return;
    const { value: threads } = await this.activeThreads();
    const waiting: { thread: Thread; turn: Turn }[] = [];
    for (const thread of threads) {
      const latest = (await this.deps.writer.get(thread.id)) ?? thread;
      for (const turn of latest.turns) if (turn.status === 'pending' && !this.running.has(turn.id)) waiting.push({ thread: latest, turn });
    }
    waiting.sort((a, b) => a.turn.createdAt - b.turn.createdAt);
    for (const { thread, turn } of waiting) {
      if (this.running.size >= limit) break;
      const controller = new AbortController();
      this.running.set(turn.id, { threadId: thread.id, controller });
      this.deps.onActivity?.(this.running.size);
      void this.run(thread.id, turn.id, controller, settings).finally(() => {
        this.running.delete(turn.id);
        this.deps.onActivity?.(this.running.size);
        this.pump();
      });
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
    const absorb = async (force: boolean) => {
      if (!force && this.now() - lastParse < PARSE_INTERVAL_MS) return;
      lastParse = this.now();
      const next = applySnapshot(turn, this.deps.parse(content), content);
      const changedPhase = next.status !== turn.status || FINAL_FIELDS.some((f) => next[f] !== turn[f]);
      turn = next;
      await this.patchTurn(threadId, turnId, () => next, changedPhase);
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
        await absorb(false);
      }
    } catch (err) {
      if (err instanceof RelayError && err.kind === 'cancelled') cancelled = true;
      else if (err instanceof RelayError) error = err.toJSON();
      else error = { kind: 'protocol', message: `Unexpected error: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (controller.signal.aborted && !error) cancelled = true;
    await absorb(true);

    const snap = this.deps.parse(content);
    const finished = await this.patchTurn(
      threadId,
      turnId,
      (t) => {
        const base = { ...t, finishedAt: this.now() };
        if (cancelled) return { ...base, status: 'cancelled' as const };
        if (error) return { ...base, status: 'failed' as const, error };
        if (snap.phase === 'failed')
          return {
            ...base,
            status: 'failed' as const,
            error: { kind: 'generation' as const, message: snap.failure ?? 'The relay reported that the generation failed.' },
          };
        if (snap.videoUrl) return { ...base, status: 'completed' as const, progress: 100 };
        return {
          ...base,
          status: 'failed' as const,
          error: {
            kind: 'protocol' as const,
            message: content
              ? 'The relay ended its answer without a video link.'
              : 'The relay ended its answer without any content.',
          },
        };
      },
      true,
    );
    if (finished) this.deps.onFinished?.(finished.thread, finished.turn);
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
        turns: t.turns.map((x) => (x.id === turnId ? (turn = fn(x)) : x)),
      }),
      { immediate },
    );
    return thread && turn ? { thread, turn } : undefined;
  }
}

export function checkPrompt(prompt: string): string {
  const text = prompt.trim();
  if (!text) throw new Error('Write a prompt first: describe the video you want.');
  if (text.length > LIMITS.promptMax)
    throw new Error(`The prompt is too long (${text.length} characters; at most ${LIMITS.promptMax}).`);
  return text;
}
