import type { TurnError } from '../relay/errors';
import type { Thread, Turn } from '../threads/model';

/**
 * What the runner needs from a wire protocol (the chat format, the Videos job API): start a turn,
 * pick up a turn a stopped worker left in flight, and say where a finished video's bytes are. The
 * runner owns the queue, cancelling, storing and notifying, and knows nothing of either wire.
 */

/** The relay a turn runs on, as the protocol needs it. */
export interface RelayAccess {
  baseUrl: string;
  apiKey: string;
  /** Reading stops after this long without new content (chat) — Options' stall timeout. */
  stallTimeoutMs: number;
}

/** One turn, as the runner hands it to a protocol. */
export interface TurnRun {
  readonly relay: RelayAccess;
  /** The thread as stored when the turn started: its earlier turns are the history. */
  readonly thread: Thread;
  readonly index: number;
  readonly turn: Turn;
  /** Aborted when the user cancels, or the thread is deleted. */
  readonly signal: AbortSignal;
  now(): number;
  /**
   * Stores a change of the turn (only while it is in flight). `phase`: a change a user must not
   * lose (status, ids, links) — stored at once; otherwise a progress tick, stored within the
   * write cap. Resolves with the turn as stored, or undefined if it is gone or already ended.
   */
  update(change: (turn: Turn) => Turn, phase: boolean): Promise<Turn | undefined>;
  /** Progress as it is read, for the pages, ahead of the throttled durable write. */
  live(turn: Turn): void;
  /**
   * From now on the turn only follows or polls a job that runs on the relay: it no longer holds a
   * place in the local queue (nothing more is sent), so new prompts may start.
   */
  detach(): void;
}

/** How a turn ended, and what it learned on the way (merged into the stored turn). */
export type TurnEnd =
  | { status: 'completed'; turn?: Partial<Turn> }
  | { status: 'failed'; error: TurnError; turn?: Partial<Turn> }
  | { status: 'interrupted'; error: TurnError; turn?: Partial<Turn> }
  | { status: 'cancelled'; turn?: Partial<Turn> };

/** Where the bytes of a finished video can be read. */
export interface MediaSource {
  url: string;
  /** Only the relay's own API serves bytes with the key; a CDN link never gets it. */
  withKey: boolean;
}

export interface Protocol {
  /** Sends turn `index` of the thread (with the history it needs) and follows it to its end. */
  start(run: TurnRun): Promise<TurnEnd>;
  /**
   * A turn that was in flight when the worker stopped (`restart`), or that the user asks to follow
   * again once a missing host permission is granted (`access`): finish it from what was stored,
   * never by sending the prompt again (that would bill the user twice).
   */
  resume(run: TurnRun, reason?: 'restart' | 'access'): Promise<TurnEnd>;
  /** The sources of a completed turn's video, best first. */
  videoSources(turn: Turn, relay: RelayAccess): MediaSource[];
}
