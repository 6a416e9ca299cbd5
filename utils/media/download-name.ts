/**
 * A filename every OS accepts: no reserved characters, no control characters, no trailing dots or
 * spaces (Windows), no reserved device names, bounded length.
 */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;
const MAX_CHARS = 60;

export function sanitizeSegment(raw: string, fallback = 'video'): string {
  let s = raw
    // Controls (\p{Cc}), the characters Windows reserves, and invisible direction/format marks that
    // could disguise a name ("evil\u202E4pm.exe").
    .replace(/[\p{Cc}<>:"/\\|?*\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[. ]+/, '')
    .replace(/[. ]+$/, '');
  const chars = Array.from(s); // code points: never cut an emoji or a CJK surrogate pair in half
  if (chars.length > MAX_CHARS)
    s = chars
      .slice(0, MAX_CHARS)
      .join('')
      .replace(/[. ]+$/, '');
  if (!s) return fallback;
  return RESERVED.test(s) ? `_${s}` : s;
}

/** `Sora Threads/<thread title>/<turn n>-<task id>.mp4` */
export function videoFilename(threadTitle: string, turnNumber: number, taskId: string | undefined, url: string): string {
  const ext = /\.(mp4|webm|mov)(?:$|[?#])/i.exec(url)?.[1]?.toLowerCase() ?? 'mp4';
  const id = taskId ? `-${sanitizeSegment(taskId, 'task')}` : '';
  return `Sora Threads/${sanitizeSegment(threadTitle)}/${turnNumber}${id}.${ext}`;
}
