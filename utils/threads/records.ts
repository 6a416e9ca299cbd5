import { isRecord } from '../is-record';
import { MAX_REFERENCE_IMAGES } from '../images/limits';
import { isTurnImage } from '../images/turn-image';
import type { Thread, Turn, TurnStatus } from './model';

/**
 * Shape checks for what comes out of storage (or an import): a record damaged by a crash, an
 * older build or a hand edit is skipped and reported instead of crashing a page.
 */
const STATUSES: ReadonlySet<string> = new Set<TurnStatus>([
  'pending',
  'queued',
  'generating',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
]);

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const optStr = (x: unknown) => x === undefined || isStr(x);

export function isTurn(x: unknown): x is Turn {
  return (
    isRecord(x) &&
    isStr(x.id) &&
    isStr(x.prompt) &&
    isStr(x.status) &&
    STATUSES.has(x.status) &&
    isStr(x.content) &&
    isNum(x.createdAt) &&
    (x.progress === undefined || isNum(x.progress)) &&
    optStr(x.taskId) &&
    optStr(x.sid) &&
    optStr(x.videoUrl) &&
    optStr(x.previewUrl) &&
    optStr(x.taskPageUrl) &&
    optStr(x.taskSourceUrl) &&
    optStr(x.reasoning) &&
    optStr(x.jobId) &&
    optStr(x.mediaOf) &&
    optStr(x.seconds) &&
    optStr(x.size) &&
    (x.fresh === undefined || typeof x.fresh === 'boolean') &&
    (x.expiresAt === undefined || isNum(x.expiresAt)) &&
    (x.media === undefined || isRecord(x.media)) &&
    (x.images === undefined || (Array.isArray(x.images) && x.images.length <= MAX_REFERENCE_IMAGES && x.images.every(isTurnImage))) &&
    (x.error === undefined || isTurnError(x.error)) &&
    (x.resume === undefined || (isRecord(x.resume) && isStr(x.resume.reason) && isNum(x.resume.since)))
  );
}

/** Pages render `message` and `serverMessage` as text: a non-string there must not reach them. */
function isTurnError(x: unknown): boolean {
  return (
    isRecord(x) &&
    isStr(x.kind) &&
    isStr(x.message) &&
    optStr(x.serverMessage) &&
    optStr(x.code) &&
    optStr(x.needsAccess) &&
    (x.status === undefined || isNum(x.status)) &&
    (x.retryAfterSec === undefined || isNum(x.retryAfterSec))
  );
}

export function isThread(x: unknown): x is Thread {
  return (
    isRecord(x) &&
    isStr(x.id) &&
    isStr(x.title) &&
    isStr(x.model) &&
    isNum(x.createdAt) &&
    isNum(x.updatedAt) &&
    (x.protocol === undefined || x.protocol === 'chat' || x.protocol === 'jobs') &&
    Array.isArray(x.turns) &&
    x.turns.every(isTurn)
  );
}

/** What the history list needs without loading every thread. */
export interface IndexEntry {
  id: string;
  title: string;
  model: string;
  createdAt: number;
  updatedAt: number;
  turnCount: number;
  lastStatus: TurnStatus;
}

export function indexEntryOf(t: Thread): IndexEntry {
  return {
    id: t.id,
    title: t.title,
    model: t.model,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    turnCount: t.turns.length,
    lastStatus: t.turns[t.turns.length - 1]?.status ?? 'pending',
  };
}

export function sameIndexEntry(a: IndexEntry | undefined, b: IndexEntry): boolean {
  return (
    !!a &&
    a.title === b.title &&
    a.model === b.model &&
    a.turnCount === b.turnCount &&
    a.lastStatus === b.lastStatus &&
    a.createdAt === b.createdAt
  );
}

export function isIndexEntry(x: unknown): x is IndexEntry {
  return isRecord(x) && isStr(x.id) && isStr(x.title) && isNum(x.createdAt) && isNum(x.updatedAt);
}
