import type { CopyRecord } from './types';

/**
 * Resuming a partial copy: the caller fetches with `resumeFetchInit(record, init)` (adding
 * `Range: bytes=<stored>-`) and hands the response to saveFromResponse, which continues on a
 * 206 whose Content-Range starts at `stored`, starts over on a 200, and refuses anything else.
 * A single open range is a CORS-safelisted header, so this works on CDNs without a preflight.
 */

/** The Range header that continues `record`, or undefined when there is nothing to continue. */
export function rangeHeaderFor(record: CopyRecord | undefined): string | undefined {
  if (!record || record.complete || record.stored <= 0) return undefined;
  return `bytes=${record.stored}-`;
}

/** `init` with the Range header that continues `record` (unchanged when it starts from scratch). */
export function resumeFetchInit(record: CopyRecord | undefined, init: RequestInit = {}): RequestInit {
  const range = rangeHeaderFor(record);
  if (range === undefined) return { ...init };
  const headers = new Headers(init.headers);
  headers.set('Range', range);
  return { ...init, headers };
}

export interface ContentRange {
  start: number;
  /** Inclusive, as on the wire. */
  end: number;
  total?: number;
}

/** Reads `bytes <start>-<end>/<total|*>`; undefined for anything else (an unsatisfied range, other units, end before start). */
export function parseContentRange(value: string | null): ContentRange | undefined {
  if (value === null) return undefined;
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const total = match[3] === '*' ? undefined : Number(match[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (total !== undefined && (!Number.isSafeInteger(total) || end >= total)) return undefined;
  return total === undefined ? { start, end } : { start, end, total };
}
