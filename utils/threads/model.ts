import type { ChatMessage } from '../chat/stream-client';
import type { TurnImage } from '../images/turn-image';
import { t } from '../i18n';
import type { TurnError } from '../relay/errors';
import type { TaskEcho, TaskSnapshot } from '../chat/report-parser';

export type TurnStatus =
  | 'pending' // waiting in the local queue: nothing sent, nothing spent
  | 'queued'
  | 'generating'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'interrupted';

export type ThreadOrigin = 'popup' | 'sidepanel' | 'context-menu' | 'branch' | 'import';

export interface Turn {
  id: string;
  prompt: string;
  /**
   * The reference images sent with the prompt, as checked refs: the bytes are in the media store
   * under copyKey(turn.id, 'image', index), never in storage.local.
   */
  images?: TurnImage[];
  status: TurnStatus;
  progress?: number;
  taskId?: string;
  sid?: string;
  videoUrl?: string;
  previewUrl?: string;
  taskPageUrl?: string;
  taskSourceUrl?: string;
  echo?: TaskEcho;
  /** Video jobs: the relay's job id, stored as soon as the relay answers, so it is never created twice. */
  jobId?: string;
  /** Video jobs: what the job was asked for (as the relay takes it, e.g. `8`, `1280x720`). */
  seconds?: string;
  size?: string;
  /** Video jobs: a new video from this prompt rather than a remix of the previous version. */
  fresh?: boolean;
  /** When the relay says its copy of the video expires (ms since the epoch). */
  expiresAt?: number;
  /** The local copies of the finished video and its preview (bytes in IndexedDB, see utils/media). */
  media?: { video?: LocalCopy; preview?: LocalCopy };
  /** A version copied into a branch: the turn whose local copies it shows (they are kept under its id). */
  mediaOf?: string;
  /** The assistant's text verbatim: it is what the next turn sends back. */
  content: string;
  /**
   * The answer's reasoning (`reasoning_content`), where relays such as sora2api, flow2api and
   * grok2api write their progress: read for the report, shown as part of the raw answer, never
   * sent back.
   */
  reasoning?: string;
  error?: TurnError;
  /**
   * Set while the runner follows the job on its task source instead of the stream (the worker was
   * restarted, the connection dropped, the stream stalled): why and since when; the UI words it
   * from the reason, in its own language. Nothing is sent again; cleared when the turn finishes.
   */
  resume?: TurnResume;
  createdAt: number;
  /** When the request left (queued/generating): elapsed time is measured from here. */
  startedAt?: number;
  finishedAt?: number;
}

/** Where a turn's local copy stands; the bytes live in the media store under copyKey(turn.id, kind). */
export interface LocalCopy {
  state: 'saving' | 'saved' | 'failed';
  /** 0..99 while saving, when the size is known. */
  progress?: number;
  bytes?: number;
  /**
   * Why there is no copy: no host permission, the link had expired, no space, nothing to copy, the
   * network, the relay refusing the key, or removed to make room under the cap.
   */
  error?: 'permission' | 'expired' | 'quota' | 'no-source' | 'network' | 'refused' | 'evicted';
}

export type ResumeReason = 'restart' | 'network' | 'stall' | 'incomplete' | 'access';

export interface TurnResume {
  reason: ResumeReason;
  /** When following the task source began (ms since the epoch). */
  since: number;
}

export type ProtocolName = 'chat' | 'jobs';

export interface Thread {
  id: string;
  title: string;
  model: string;
  /** How its turns go to the relay; threads from before video jobs are chat. */
  protocol?: ProtocolName;
  createdAt: number;
  updatedAt: number;
  origin: ThreadOrigin;
  turns: Turn[];
}

export const ACTIVE_STATUSES: readonly TurnStatus[] = ['pending', 'queued', 'generating'];
export const isActive = (s: TurnStatus): boolean => ACTIVE_STATUSES.includes(s);
/** A request has left for the relay: the job may be running (and billed) server-side. */
export const isInFlight = (s: TurnStatus): boolean => s === 'queued' || s === 'generating';

export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

export const TITLE_MAX = 80;

export function titleFromPrompt(prompt: string): string {
  const oneLine = prompt.replace(/\s+/g, ' ').trim();
  return oneLine.length > TITLE_MAX ? `${oneLine.slice(0, TITLE_MAX - 1)}…` : oneLine;
}

export function newTurn(prompt: string, now = Date.now()): Turn {
  return { id: newId('turn'), prompt, status: 'pending', content: '', createdAt: now };
}

/** A thread as it begins: exactly one turn, which callers may name without checking. */
export type NewThread = Thread & { turns: [Turn] };

export function newThread(prompt: string, model: string, origin: ThreadOrigin, now = Date.now()): NewThread {
  return {
    id: newId('thr'),
    title: titleFromPrompt(prompt),
    model,
    createdAt: now,
    updatedAt: now,
    origin,
    turns: [newTurn(prompt, now)],
  };
}

/**
 * The conversation sent for `turns[index]`: every earlier completed turn as its user prompt and
 * its assistant content verbatim (the relay finds the video to remix by the sid in that text),
 * then this turn's prompt. Failed, cancelled and interrupted turns are left out: they hold no
 * video to build on, and replaying their text could confuse the relay.
 *
 * A turn sent with images is a user message of content parts (its text, then each image as a data
 * URL from `images`, keyed by turn id); built from the same stored bytes, it is the same each time.
 */
export function buildMessages(turns: readonly Turn[], index: number, images?: ReadonlyMap<string, readonly string[]>): ChatMessage[] {
  const target = turns[index];
  if (!target) throw new RangeError(`no turn at ${index}`);
  const user = (turn: Turn): ChatMessage => {
    if (!turn.images?.length) return { role: 'user', content: turn.prompt };
    const urls = images?.get(turn.id);
    if (urls?.length !== turn.images.length) throw new Error(`the images of turn ${turn.id} were not loaded`);
    return {
      role: 'user',
      content: [{ type: 'text', text: turn.prompt }, ...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } }))],
    };
  };
  const messages: ChatMessage[] = [];
  for (const turn of sentHistory(turns, index)) messages.push(user(turn), { role: 'assistant', content: turn.content });
  messages.push(user(target));
  return messages;
}

/** The earlier turns whose exchange goes along with `turns[index]`: the completed ones. */
export function sentHistory(turns: readonly Turn[], index: number): Turn[] {
  return turns.slice(0, index).filter((turn) => turn.status === 'completed');
}

/**
 * Whose images a new video job is created with: the turn's own, else those of the latest earlier
 * turn sent with some — a new video from an instruction still starts from the thread's image.
 */
export function imageTurnOf(turns: readonly Turn[], index: number): Turn | undefined {
  for (let i = index; i >= 0; i--) if (turns[i]?.images?.length && (i === index || turns[i]?.status === 'completed')) return turns[i];
  return undefined;
}

/** The latest completed turn: the video a new instruction modifies. */
export function lastCompletedTurn(thread: Thread): Turn | undefined {
  for (let i = thread.turns.length - 1; i >= 0; i--) {
    const t = thread.turns[i];
    if (t?.status === 'completed') return t;
  }
  return undefined;
}

/**
 * Retrying `turns[at]` appends a turn, which builds on every version completed before it: the
 * failed turn's own base only while no version completed after it. Otherwise the retry is a new
 * thread from that base, or it would remix a video the failed turn never saw.
 */
export function retriesAsBranch(thread: Thread, at: number): boolean {
  return thread.turns.slice(at + 1).some((t) => t.status === 'completed');
}

/**
 * Folds a parsed report into a turn. Only fields the report actually carries overwrite what the
 * turn had, so a resumed turn never loses links it learned earlier.
 */
export function applySnapshot(turn: Turn, snap: TaskSnapshot, content: string, reasoning?: string): Turn {
  const next: Turn = { ...turn, content };
  if (reasoning) next.reasoning = reasoning;
  if (snap.taskId) next.taskId = snap.taskId;
  if (snap.sid) next.sid = snap.sid;
  if (snap.videoUrl) next.videoUrl = snap.videoUrl;
  if (snap.previewUrl) next.previewUrl = snap.previewUrl;
  if (snap.taskPageUrl) next.taskPageUrl = snap.taskPageUrl;
  if (snap.taskSourceUrl) next.taskSourceUrl = snap.taskSourceUrl;
  if (snap.echo) next.echo = snap.echo;
  if (snap.progress !== undefined) next.progress = Math.max(next.progress ?? 0, snap.progress);
  if (snap.phase === 'generating' || snap.phase === 'completed') next.status = 'generating';
  else if (next.status === 'pending') next.status = 'queued';
  // 'completed' and 'failed' are decided by the runner once the stream ends, so a report that
  // says "done" but then carries an error object is still reported as the failure it is.
  return next;
}

/** Where a turn stands, in words, for the UI and for notifications. */
export function statusLabel(status: TurnStatus): string {
  return t(`status_${status}`);
}
