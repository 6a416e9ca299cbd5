import { t as words } from '../i18n';
import { sanitizeLinks } from './backup';
import { isInFlight, type Thread } from './model';
import { isThread } from './records';

/**
 * A title as typed, on one line and at most 200 characters; throws when nothing is left. It comes
 * in a message, which no one checked was a string.
 */
export function titleText(title: unknown): string {
  const text = String(title).replace(/\s+/g, ' ').trim().slice(0, 200);
  if (!text) throw new Error(words('titleNeeded'));
  return text;
}

/** A thread under a new title. A rename is a change like any other (an import compares updatedAt). */
export function renamed(thread: Thread, title: string, now: number): Thread {
  return { ...thread, title: titleText(title), updatedAt: now };
}

/**
 * Undo of a delete: the record the side panel showed comes back as it was, checked like any
 * input from a page (shape, http(s) links only), except that a request the delete aborted is no
 * longer running.
 */
export function restored(thread: unknown, now: number): Thread {
  if (!isThread(thread)) throw new Error(words('cannotRestore'));
  const clean = sanitizeLinks(thread);
  return { ...clean, turns: clean.turns.map((t) => (isInFlight(t.status) ? { ...t, status: 'cancelled' as const, finishedAt: now } : t)) };
}
