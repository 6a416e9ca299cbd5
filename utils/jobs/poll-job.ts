import { isAborted } from '../aborted';
import { cancelled, RelayError } from '../relay/errors';
import { t } from '../i18n';
import { abortableSleep } from '../chat/task-source';
import type { JobState } from './job-state';
import { JobReadError, readJobState, type VideosRelay } from './videos-client';

export type PollResult =
  | { outcome: 'completed'; state: JobState }
  | { outcome: 'failed'; state: JobState }
  /** Gave up without an answer: the job may still finish on the relay (its id is kept). */
  | { outcome: 'lost'; reason: string; gone?: boolean };

export interface PollOptions {
  signal?: AbortSignal;
  /** Every answer, so the turn can show queued/generating and progress. */
  onUpdate?: (state: JobState) => void | Promise<void>;
  /** Give up (outcome 'lost') once the clock passes this (ms since the epoch). */
  deadline?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** The first delay (2 s), growing by `factor` (1.5) while nothing changes, up to 15 s. */
  minDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** Refused keys in a row before giving up (3): the user has to fix the key, the job is kept. */
  maxAuthErrors?: number;
  /**
   * Give up (outcome 'lost') once every read has failed for this long (the relay unreachable or
   * erring): as long as a stream may stay silent, so the same silence ends both. Unbounded by default.
   */
  maxFailingMs?: number;
}

/**
 * Asks the relay about a job by id until it completes or fails. The delay starts at about 2 s and
 * grows to 15 s while the job does not move, so 20 jobs cost a few requests a minute each; network
 * trouble and 5xx answers are waited out (up to the deadline), a forgotten id or a refused key end
 * the poll with the reason. Rejects only with a 'cancelled' RelayError.
 */
export async function pollJob(relay: VideosRelay, id: string, opts: PollOptions = {}): Promise<PollResult> {
  const {
    signal = new AbortController().signal,
    now = Date.now,
    sleep = abortableSleep,
    random = Math.random,
    minDelayMs = 2_000,
    maxDelayMs = 15_000,
    factor = 1.5,
    maxAuthErrors = 3,
    maxFailingMs = Infinity,
  } = opts;
  let delay = minDelayMs;
  let last: JobState | undefined;
  let authErrors = 0;
  /** What went wrong with the last read ('' when it worked). */
  let problem: string;
  /** When the reads began to fail, while they keep failing. */
  let failingSince: number | undefined;
  for (;;) {
    if (signal.aborted) throw cancelled();
    try {
      const state = await readJobState(relay, id, signal);
      authErrors = 0;
      problem = '';
      failingSince = undefined;
      if (state.phase === 'completed') return { outcome: 'completed', state };
      if (state.phase === 'failed') return { outcome: 'failed', state };
      const moved = !last || last.phase !== state.phase || last.progress !== state.progress;
      await opts.onUpdate?.(state);
      last = state;
      delay = moved ? minDelayMs : Math.min(maxDelayMs, delay * factor);
    } catch (error) {
      if (isAborted(signal) || (error instanceof RelayError && error.kind === 'cancelled')) throw cancelled();
      if (error instanceof JobReadError && error.problem === 'gone') return { outcome: 'lost', reason: t('jobs_gone'), gone: true };
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof JobReadError && error.problem === 'auth' && ++authErrors >= maxAuthErrors)
        return { outcome: 'lost', reason: message };
      problem = message;
      failingSince ??= now();
      if (now() - failingSince >= maxFailingMs) return { outcome: 'lost', reason: message };
      delay = Math.min(maxDelayMs, delay * factor);
    }
    const wait = delay * (0.8 + 0.4 * random());
    if (opts.deadline !== undefined && now() + wait > opts.deadline) return { outcome: 'lost', reason: problem || t('jobs_deadline') };
    await sleep(wait, signal);
  }
}
