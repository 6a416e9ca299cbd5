import { t as words } from '../i18n';
import { ImageProblem } from '../images/reference-image';
import { RelayError, redactSecret, type TurnError } from '../relay/errors';
import { safeHttpUrl } from '../relay/safe-url';
import type { Protocol, TurnEnd, TurnRun } from '../runner/protocol';
import { applySnapshot, buildMessages, sentHistory, type ResumeReason, type Turn } from '../threads/model';
import type { ReportContext, TaskSnapshot } from './report-parser';
import type { ChatDelta, ChatRequest } from './stream-client';
import { followTaskSource, type FollowOptions, type FollowResult, type TaskSourceState } from './task-source';

export interface ChatProtocolDeps {
  stream: (req: ChatRequest) => AsyncIterable<ChatDelta>;
  parse: (content: string, ctx?: ReportContext) => TaskSnapshot;
  /** Follows a job on its task source link; defaults to followTaskSource (injected in tests). */
  follow?: (url: string, opts: FollowOptions) => Promise<FollowResult>;
  /** Extra options for every follow (poll delays in tests). */
  followOptions?: Partial<FollowOptions>;
  /**
   * Whether the extension may read this URL's origin (a host permission). A task source on a
   * host it may not read fails every poll (CORS): the turn then says so instead of waiting.
   */
  canRead?: (url: string) => Promise<boolean>;
  /**
   * The data URLs of a turn's reference images, from the stored bytes (checked against the turn's
   * refs); rejects with a sentence for the user when they are no longer stored.
   */
  images?: (turn: Turn) => Promise<string[]>;
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

/**
 * The chat format behind the runner's interface: the whole conversation goes back to
 * `/v1/chat/completions`, the streamed report is read as it comes (content and reasoning), and a
 * job whose stream is lost is followed on its task source link — never sent again.
 */
export function chatProtocol(deps: ChatProtocolDeps): Protocol {
  return {
    start: (run) => stream(deps, run),
    resume: (run, reason = 'restart') => resume(deps, run, reason),
    videoSources: (turn) => (turn.videoUrl ? [{ url: turn.videoUrl, withKey: false }] : []),
  };
}

async function stream(deps: ChatProtocolDeps, run: TurnRun): Promise<TurnEnd> {
  const { relay, thread, index, signal } = run;
  let content = '';
  let reasoning = '';
  const ctx: ReportContext = { baseUrl: relay.baseUrl };
  /** The last read of the answer, and how long the answer was then (it only grows). */
  let snap: TaskSnapshot = {};
  let readAt = '';
  /** When the last read ended, and the least time before the next (`PARSE_INTERVAL_MS`, or twice what it cost). */
  let lastParse = -Infinity;
  let interval = PARSE_INTERVAL_MS;
  /** `complete`: the relay said the answer has ended (a marker, or a clean close). */
  const read = (complete = false): TaskSnapshot => {
    const at = `${content.length}:${reasoning.length}:${complete}`;
    if (readAt !== at) {
      ctx.reasoning = reasoning;
      ctx.complete = complete;
      const began = performance.now();
      snap = deps.parse(content, ctx);
      readAt = at;
      // A read of a huge answer is spaced out by its own cost: at most a third of the time parsing.
      interval = Math.max(PARSE_INTERVAL_MS, 2 * (performance.now() - began));
      lastParse = performance.now();
    }
    return snap;
  };
  /** The answer read again only if the last read is old enough; otherwise what it said then. */
  const readSoon = (): TaskSnapshot => (performance.now() - lastParse >= interval ? read(true) : snap);
  let turn = run.turn;
  let trailing: ReturnType<typeof setTimeout> | undefined;
  const absorb = async (force: boolean): Promise<void> => {
    const wait = interval - (performance.now() - lastParse);
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
    const next = applySnapshot(turn, read(), content, reasoning);
    const changedPhase = next.status !== turn.status || FINAL_FIELDS.some((f) => next[f] !== turn[f]);
    if (next.progress !== turn.progress || next.status !== turn.status) run.live(next);
    turn = next;
    // A phase change is stored before reading on; a progress tick is not waited for, so a
    // stream never slows to the pace of storing a multi-megabyte answer.
    const patched = run.update(() => next, changedPhase || force);
    if (changedPhase || force) await patched;
    else void patched.catch(() => {});
  };

  let error: TurnError | undefined;
  let cancelled = false;
  let images: Map<string, string[]>;
  try {
    images = await imagesOf(deps, [...sentHistory(thread.turns, index), run.turn]);
  } catch (err) {
    // Nothing was sent: a history without the images it was sent with is not the same conversation.
    return { status: 'failed', error: { kind: 'protocol', message: err instanceof Error ? err.message : String(err) } };
  }
  try {
    const deltas = deps.stream({
      baseUrl: relay.baseUrl,
      apiKey: relay.apiKey,
      model: thread.model,
      messages: buildMessages(thread.turns, index, images),
      signal,
      stallTimeoutMs: relay.stallTimeoutMs,
      // [DONE] / finish_reason end the answer only once it holds a video or a failure.
      // Asked at every [DONE] (some relays send one per chunk): read at the same pace as the rest.
      // A marker that comes too soon is let pass; the answer still ends when the relay closes it,
      // and a finish_reason asks again after its grace.
      isTerminal: () => isFinished(readSoon()),
    });
    for await (const delta of deltas) {
      if (delta.content !== undefined) content += delta.content;
      if (delta.reasoning !== undefined) reasoning += delta.reasoning;
      if (content.length + reasoning.length > MAX_ANSWER_CHARS) throw new RelayError('protocol', words('answerTooLarge', { size: '2 MB' }));
      await absorb(false);
    }
  } catch (err) {
    if (err instanceof RelayError && err.kind === 'cancelled') cancelled = true;
    else if (err instanceof RelayError) error = err.toJSON();
    else error = { kind: 'protocol', message: words('unexpectedError', { detail: err instanceof Error ? err.message : String(err) }) };
  }
  if (signal.aborted && !error) cancelled = true;
  // The last read of the answer is folded into the final write (one write, not two in the same
  // millisecond), or stored first when the job goes on from its task source.
  if (trailing !== undefined) clearTimeout(trailing);
  // A cut-off answer's last line may hold half a link: only a clean end takes it whole.
  const final = read(!error && !cancelled);
  turn = applySnapshot(turn, final, content, reasoning);
  // A video is a paid result: once the relay has given its link, a cancel, a dropped
  // connection, a stall or an error event after it does not make the turn fail.
  // Whatever the words around it said (a "failed, retrying" line before a successful retry).
  const hasVideo = final.videoUrl !== undefined;
  if (hasVideo) {
    cancelled = false;
    error = undefined;
  }
  // The stream is gone but the job may not be: with a task source link, follow it there (never
  // by sending the prompt again).
  if (!cancelled && safeHttpUrl(turn.taskSourceUrl)) {
    const reason: ResumeReason | undefined =
      error?.kind === 'timeout'
        ? 'stall'
        : error?.kind === 'network'
          ? 'network'
          : !error && final.phase !== 'failed' && !hasVideo
            ? 'incomplete'
            : undefined;
    if (reason) {
      const absorbed = turn;
      const stored = await run.update(() => absorbed, true);
      return follow(deps, { ...run, turn: stored ?? absorbed }, reason);
    }
  }
  if (error && (error.kind === 'timeout' || error.kind === 'network') && turn.taskId) {
    error = { ...error, message: words('lost_stream', { what: error.message, id: turn.taskId }) };
  }
  return { ...settle(turn, final, cancelled ? 'cancelled' : error), turn: fieldsOf(turn) };
}

/** The reference images of the turns about to be sent, as data URLs by turn id. */
async function imagesOf(deps: ChatProtocolDeps, turns: readonly Turn[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const turn of turns) {
    if (!turn.images?.length) continue;
    if (!deps.images) throw new ImageProblem('missing');
    out.set(turn.id, await deps.images(turn));
  }
  return out;
}

/** The answer's text and what was read from it, for the final write. */
function fieldsOf(turn: Turn): Partial<Turn> {
  const { id: _id, status: _status, error: _error, ...fields } = turn;
  return fields;
}

/** A report that holds its video, or says the job failed: nothing more is coming. */
export function isFinished(snap: TaskSnapshot): boolean {
  return snap.videoUrl !== undefined || snap.phase === 'failed';
}

/** How a turn whose answer has ended ends. */
function settle(turn: Turn, snap: TaskSnapshot, outcome: TurnError | 'cancelled' | undefined): TurnEnd {
  if (outcome === 'cancelled') return { status: 'cancelled' };
  if (outcome) return { status: 'failed', error: outcome };
  // A video link is the paid result, whatever a line before it said.
  if (snap.videoUrl) return { status: 'completed' };
  if (snap.phase === 'failed')
    return { status: 'failed', error: { kind: 'generation', message: snap.failure ?? words('generationFailed') } };
  return { status: 'failed', error: { kind: 'protocol', message: words(turn.content ? 'endedNoLink' : 'endedEmpty') } };
}

/**
 * A turn in flight when the worker stopped (or one to follow again): finished from its text if the
 * answer had ended, followed on its task source link when the relay gave one, otherwise
 * interrupted with all it had received.
 */
async function resume(deps: ChatProtocolDeps, run: TurnRun, reason: ResumeReason): Promise<TurnEnd> {
  const { turn, relay } = run;
  // The stream was cut when the worker stopped: the text's last line may be half a link.
  const snap = deps.parse(turn.content, { reasoning: turn.reasoning, baseUrl: relay.baseUrl, complete: false });
  if (isFinished(snap)) {
    // The answer was complete; the worker died before it recorded the end.
    const read = applySnapshot(turn, snap, turn.content, turn.reasoning);
    return { ...settle(read, snap, undefined), turn: fieldsOf(read) };
  }
  if (safeHttpUrl(turn.taskSourceUrl)) return follow(deps, run, reason);
  return { status: 'interrupted', error: { kind: 'interrupted', message: words('lost_restart', { task: taskIdText(turn) }) } };
}

/**
 * Follows a job on its task source until it completes or fails: progress and phase as the relay
 * reports them, then the video (and preview) from its JSON. Sends nothing to the API.
 */
async function follow(deps: ChatProtocolDeps, run: TurnRun, reason: ResumeReason): Promise<TurnEnd> {
  // From here on nothing is sent: the place this job held in the queue is free for the next prompt.
  run.detach();
  const { signal, relay } = run;
  const begun = await run.update((t) => ({ ...t, error: undefined, resume: { reason, since: run.now() } }), true);
  if (!begun) return { status: 'cancelled' };
  const url = safeHttpUrl(begun.taskSourceUrl);
  if (!url) return { status: 'interrupted', error: { kind: 'interrupted', message: words('lost_restart', { task: taskIdText(begun) }) } };
  let current = begun;
  let result: FollowResult | 'cancelled';
  /** Set when the source cannot be read for want of a host permission: the origin to ask for. */
  let blocked: string | undefined;
  try {
    result = await (deps.follow ?? followTaskSource)(url, {
      ...deps.followOptions,
      signal,
      secret: relay.apiKey,
      deadline: (current.startedAt ?? current.createdAt) + FOLLOW_DEADLINE_MS,
      // As long as a stream may stay silent: a source failing that long is as good as gone.
      maxFailingMs: relay.stallTimeoutMs,
      onFailure: async ({ network }) => {
        if (!network || !deps.canRead || (await deps.canRead(url).catch(() => true))) return false;
        blocked = new URL(url).origin;
        return true;
      },
      onUpdate: async (state: TaskSourceState) => {
        const moving = state.status === 'generating' || ((state.progress ?? 0) > 0 && state.status !== 'queued');
        const status = moving ? 'generating' : current.status;
        const progress = Math.max(current.progress ?? 0, state.progress ?? 0);
        if (status === current.status && progress === current.progress) return;
        const next = { ...current, status, progress };
        run.live(next);
        current = (await run.update((t) => ({ ...t, status, progress }), status !== current.status)) ?? next;
      },
    });
  } catch (err) {
    if (signal.aborted || (err instanceof RelayError && err.kind === 'cancelled')) result = 'cancelled';
    else result = { outcome: 'lost', reason: err instanceof Error ? err.message : String(err) };
  }
  if (signal.aborted || result === 'cancelled') return { status: 'cancelled' };
  if (result.outcome === 'completed') {
    const { state } = result;
    const sid = current.sid ?? state.sid;
    return {
      status: 'completed',
      turn: {
        videoUrl: state.videoUrl,
        ...(!current.previewUrl && state.previewUrl && { previewUrl: state.previewUrl }),
        ...(sid && { sid }),
        // The next turn sends this text back and the relay finds the video to remix by its sid.
        content: sid && !current.content.includes(sid) ? `${current.content}\n> sid: ${sid}\n` : current.content,
      },
    };
  }
  if (result.outcome === 'failed')
    return { status: 'failed', error: { kind: 'generation', message: result.failure, serverMessage: result.failure } };
  if (blocked)
    return {
      status: 'interrupted',
      error: {
        kind: 'interrupted',
        message: words('lost_access', { host: new URL(blocked).host, task: taskIdText(current) }),
        needsAccess: blocked,
      },
    };
  const why = redactSecret(result.reason, relay.apiKey);
  return {
    status: 'interrupted',
    error: { kind: 'interrupted', message: words('lost_following', { reason: why, task: taskIdText(current) }) },
  };
}

/** " Its task id is …" for the sentences that tell a user how to find a lost job on the relay. */
function taskIdText(t: Turn): string {
  return t.taskId ? words('taskIdIs', { id: t.taskId }) : '';
}
