/**
 * A filename every OS accepts: no reserved characters, no control characters, no trailing dots or
 * spaces (Windows), no reserved device names, bounded length.
 */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

export function sanitizeSegment(raw: string, fallback = 'video'): string {
  let s = raw
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
    .replace(/[. ]+$/, '');
  if (s.length > 60) s = s.slice(0, 60).replace(/[. ]+$/, '');
  if (!s || RESERVED.test(s)) s = s ? `_${s}` : fallback;
  return s;
}

/** `Sora Threads/<thread title>/<turn n>-<task id>.mp4` */
export function videoFilename(threadTitle: string, turnNumber: number, taskId: string | undefined, url: string): string {
  const ext = /\.(mp4|webm|mov)(?:$|[?#])/i.exec(url)?.[1]?.toLowerCase() ?? 'mp4';
  const id = taskId ? `-${sanitizeSegment(taskId, 'task')}` : '';
  return `Sora Threads/${sanitizeSegment(threadTitle)}/${turnNumber}${id}.${ext}`;
}
