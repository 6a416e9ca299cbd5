import { RelayError, type TurnError } from '../relay/errors';
import { t } from '../i18n';
import type { MediaSource, Protocol, RelayAccess, TurnEnd, TurnRun } from '../runner/protocol';
import { ImageProblem } from '../images/reference-image';
import { imageTurnOf, type Turn } from '../threads/model';
import type { JobState } from './job-state';
import { pollJob, type PollOptions } from './poll-job';
import { imageFieldOf } from './probe';
import { createJob, remixJob, RemixUnsupportedError, videosUrl, type ReferenceImage, type VideosRelay } from './videos-client';

/** How long after its request a job is still polled before the turn ends `interrupted` (with its id). */
export const JOB_DEADLINE_MS = 3 * 60 * 60_000;

export interface JobsProtocolOptions {
  fetch?: typeof fetch;
  /** Bound on one API call (REQUEST_TIMEOUT_MS by default; tests shorten it). */
  timeoutMs?: number;
  /** Extra options for every poll (delays in tests). */
  poll?: Partial<PollOptions>;
  /** The reference images stored with a turn, as files to upload. */
  images?: (turn: Turn) => Promise<ReferenceImage[]>;
  /** The multipart name the relay reads images from (grok2api: `input_reference[]`). */
  imageField?: (relay: RelayAccess) => string | undefined;
}

/**
 * The Videos job API behind the runner's interface: a turn creates a job (or remixes the previous
 * version's), stores the job id at once, then only polls it — so it holds no place in the local
 * queue, and a stopped worker picks it up by id without ever creating it again.
 */
export function jobsProtocol(opts: JobsProtocolOptions = {}): Protocol {
  const access = (relay: RelayAccess): VideosRelay => ({
    baseUrl: relay.baseUrl,
    apiKey: relay.apiKey,
    ...(opts.fetch && { fetch: opts.fetch }),
    ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
  });

  /**
   * Polls the job to its end. A job this run created keeps its place in the local queue (it runs
   * on the relay: "videos at once" counts it); one picked up after a worker stop (`detach`) is only
   * polled and never holds new prompts back.
   */
  async function follow(run: TurnRun, jobId: string, detach: boolean): Promise<TurnEnd> {
    if (detach) run.detach();
    const startedAt = run.turn.startedAt ?? run.turn.createdAt;
    let current = run.turn;
    const result = await pollJob(access(run.relay), jobId, {
      ...opts.poll,
      signal: run.signal,
      deadline: startedAt + JOB_DEADLINE_MS,
      // A relay that cannot be reached for as long as a stream may stay silent: stop asking.
      maxFailingMs: run.relay.stallTimeoutMs,
      onUpdate: async (state) => {
        const step = stepOf(current, state);
        if (step.status === current.status && step.progress === current.progress) return;
        const next = { ...current, ...step };
        run.live(next);
        current = (await run.update((turn) => ({ ...turn, ...step }), step.status !== current.status)) ?? next;
      },
    });
    if (result.outcome === 'completed') {
      const { videoUrl, expiresAt } = result.state;
      return {
        status: 'completed',
        turn: { progress: 100, ...(videoUrl && { videoUrl }), ...(expiresAt && { expiresAt: expiresAt * 1000 }) },
      };
    }
    if (result.outcome === 'failed') {
      const reason = result.state.failure;
      return {
        status: 'failed',
        error: { kind: 'generation', message: reason ?? t('jobs_failedNoReason'), ...(reason && { serverMessage: reason }) },
      };
    }
    return { status: 'interrupted', error: { kind: 'interrupted', message: t('jobs_lost', { reason: result.reason, id: jobId }) } };
  }

  return {
    async start(run) {
      const { thread, index, turn, relay } = run;
      // A modification remixes the latest earlier version that has a job, unless asked for a new
      // video — or sent with images of its own, which a remix (`{prompt}` alone) cannot carry.
      const base =
        turn.fresh || turn.images?.length
          ? undefined
          : [...thread.turns.slice(0, index)].reverse().find((x) => x.status === 'completed' && x.jobId);
      let created: JobState & { id: string };
      // Not aborted by a cancel: once sent, the relay may make (and bill) the job, so its answer is
      // waited for and its id kept. The call is bounded (REQUEST_TIMEOUT_MS).
      try {
        if (base?.jobId) {
          created = await remixJob(access(relay), base.jobId, turn.prompt);
        } else {
          const from = imageTurnOf(thread.turns, index);
          if (from && !opts.images) throw new ImageProblem('missing');
          created = await createJob(access(relay), {
            model: thread.model,
            prompt: turn.prompt,
            seconds: turn.seconds,
            size: turn.size,
            images: from && opts.images ? await opts.images(from) : [],
            imageField: opts.imageField?.(relay) ?? imageFieldOf(relay.videosFlavour || undefined),
          });
        }
      } catch (error) {
        return failed(error);
      }
      // The id first, before anything else can happen: a worker stopped from here on polls it again.
      const stored = await run.update((x) => ({ ...x, jobId: created.id, ...stepOf(x, created) }), true);
      if (!stored || run.signal.aborted) return { status: 'cancelled', turn: { jobId: created.id } };
      return follow({ ...run, turn: stored }, created.id, false);
    },

    async resume(run) {
      const { jobId } = run.turn;
      if (jobId) return follow(run, jobId, true);
      // The create request was under way when the worker stopped: the relay may have made the job,
      // but without its id there is nothing to ask, and creating it again could bill twice.
      return { status: 'interrupted', error: { kind: 'interrupted', message: t('jobs_lostBeforeId') } };
    },

    videoSources(turn, relay) {
      const sources: MediaSource[] = [];
      if (turn.videoUrl) sources.push({ url: turn.videoUrl, withKey: false });
      if (turn.jobId) sources.push({ url: videosUrl(relay.baseUrl, turn.jobId, 'content'), withKey: true });
      return sources;
    },
  };
}

/** The turn's status and progress for a job state: never backwards. */
function stepOf(turn: Turn, state: JobState): { status: Turn['status']; progress: number } {
  const moving = state.phase === 'generating' || (state.progress ?? 0) > 0;
  const status = moving || turn.status === 'generating' ? 'generating' : 'queued';
  return { status, progress: Math.max(turn.progress ?? 0, state.progress ?? 0) };
}

function failed(error: unknown): TurnEnd {
  if (error instanceof RelayError && error.kind === 'cancelled') return { status: 'cancelled' };
  // No answer to the create (a timeout, a dropped connection): the relay may have made the job,
  // so it is not failed (Retry would bill again without a word), and its id is unknown.
  if (error instanceof RelayError && (error.kind === 'timeout' || error.kind === 'network'))
    return { status: 'interrupted', error: { kind: 'interrupted', message: t('jobs_maybeCreated', { what: error.message }) } };
  if (error instanceof RemixUnsupportedError) return { status: 'failed', error: { ...error.toJSON(), kind: 'remix-unsupported' } };
  if (error instanceof RelayError) return { status: 'failed', error: error.toJSON() };
  // Nothing was sent: the images the job starts from are not stored here any more.
  if (error instanceof ImageProblem) return { status: 'failed', error: { kind: 'protocol', message: error.message } };
  const detail = error instanceof Error ? error.message : String(error);
  return { status: 'failed', error: { kind: 'protocol', message: t('unexpectedError', { detail }) } satisfies TurnError };
}
