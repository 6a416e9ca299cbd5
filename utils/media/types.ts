/** What a local copy holds: a turn's video, its preview picture, or a reference image sent with it. */
export type CopyKind = 'video' | 'preview' | 'image';

export const COPY_KINDS: readonly CopyKind[] = ['video', 'preview', 'image'];

/** Why a copy is missing or stopped; `kind` is what the UI words are chosen by. */
export interface CopyError {
  kind: MediaErrorKind;
  message: string;
  status?: number;
}

export type MediaErrorKind =
  | 'quota' // the browser refused the space
  | 'aborted' // the caller's signal (worker stopping, user cancel): resumable
  | 'network' // the body stream failed mid-way: resumable
  | 'incomplete' // the body ended before the size it announced: resumable
  | 'http' // the response was not a 200 or a 206
  | 'not-media' // a web page or JSON where bytes were expected (an expired link's error page)
  | 'range-mismatch' // a 206 that does not continue where the copy stopped
  | 'source-changed' // the file behind the link changed since the copy began
  | 'deleted' // the copy was deleted (Delete local copies, eviction) while it was being written
  | 'conflict' // another writer took the same copy over
  | 'corrupt' // stored chunks do not add up to the record
  | 'storage'; // any other IndexedDB failure

/**
 * One local copy. `stored` counts bytes already committed in `chunks` chunks; a copy is
 * readable only once `complete`. `sourceUrl` never holds credentials: keys travel in headers,
 * and user:password parts are stripped before storing.
 */
export interface CopyRecord {
  key: string;
  turnId: string;
  threadId: string;
  kind: CopyKind;
  mime: string;
  /** Expected total bytes, when the server said (Content-Length, Content-Range total). */
  size?: number;
  stored: number;
  chunks: number;
  complete: boolean;
  sourceUrl?: string;
  etag?: string;
  lastModified?: string;
  createdAt: number;
  lastUsedAt: number;
  /** Last time a chunk was committed: tells a write in progress (in another context) from an abandoned one. */
  updatedAt: number;
  /** Token of the write that owns this copy; a second writer taking over makes the first one stop. */
  writeId?: string;
  error?: CopyError;
}

/** One slice of a copy's bytes; chunk `index` starts at the sum of the sizes before it. */
export interface ChunkRecord {
  key: string;
  index: number;
  bytes: Blob | ArrayBuffer;
}

/** What the caller knows about a copy before its bytes arrive. */
export interface CopyMeta {
  turnId: string;
  threadId: string;
  kind: CopyKind;
  /** Wins over the response's Content-Type. */
  mime?: string;
  /** The expected size, used when the response does not say (no Content-Length). */
  size?: number;
  /** Defaults to the response's URL; credentials are stripped either way. */
  sourceUrl?: string;
}

export interface KindUsage {
  bytes: number;
  count: number;
}

export interface MediaUsage {
  /** Bytes of every copy, complete or partial (what the disk holds). */
  bytes: number;
  /** Copies with at least one stored byte. */
  count: number;
  byKind: Record<CopyKind, KindUsage>;
  /** Part of the above held by copies not yet complete. */
  partial: KindUsage;
}

export type ProgressCallback = (stored: number, total: number | undefined) => void;

export interface WriteOptions {
  signal?: AbortSignal;
  /** Called with bytes received so far (monotonic), at most every `progressIntervalMs`, and once at the end. */
  onProgress?: ProgressCallback;
}
