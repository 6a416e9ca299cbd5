/*
 * The bytes of a finished video job: the real sample mp4, or a large body of any size for
 * download, resume and bench tests, served with Content-Length, single ranges (206/416), an
 * optional pace and an optional cut mid-body.
 *
 * A large body is still a valid, playable mp4: the sample, then one `free` box (ISO BMFF's
 * "ignore me" box) filling the rest with a deterministic pseudo-random pattern whose period
 * (1 MiB + 1009) lines up with no chunk size, so bytes written at a wrong offset never pass.
 * `contentBytes(size)` gives a test the exact bytes to compare with.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mediaBytes, parseRange } from './media';

export interface ContentOptions {
  /** Total body size in bytes (default: the sample mp4 as it is). */
  sizeBytes?: number;
  /** Bytes per write (default 64 KiB). */
  chunkBytes?: number;
  /** Pause before each write after the first (default 0). */
  chunkDelayMs?: number;
  /** Cut the connection after this many body bytes of a response… */
  dropAfterBytes?: number;
  /** …for this many responses of the job (default 1), so a resumed download then succeeds. */
  drops?: number;
  /** false: ignore Range and always answer 200 with the whole body, as some upstreams do. */
  ranges?: boolean;
}

const PERIOD = 1024 * 1024 + 1009;
let pattern: Buffer | undefined;

function fillPattern(): Buffer {
  if (pattern) return pattern;
  const out = Buffer.alloc(PERIOD);
  let block = createHash('sha256').update('sora-threads mock relay').digest();
  for (let i = 0; i < PERIOD; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return (pattern = out);
}

export function contentSize(opts: ContentOptions = {}): number {
  const sample = mediaBytes('mp4').length;
  if (opts.sizeBytes === undefined) return sample;
  if (!Number.isSafeInteger(opts.sizeBytes) || opts.sizeBytes < sample + 8 || opts.sizeBytes - sample > 0xffffffff) {
    throw new Error(`content.sizeBytes must be an integer from ${sample + 8} (the sample mp4 + 8) to 4 GiB`);
  }
  return opts.sizeBytes;
}

/** Writes bytes [offset, offset + target.length) of the body into target. */
function fill(size: number, offset: number, target: Buffer): void {
  const sample = mediaBytes('mp4');
  const header = Buffer.alloc(8);
  if (size > sample.length) {
    header.writeUInt32BE(size - sample.length, 0);
    header.write('free', 4, 'latin1');
  }
  const pat = fillPattern();
  for (let i = 0; i < target.length;) {
    const at = offset + i;
    if (at < sample.length) {
      i += sample.copy(target, i, at, Math.min(sample.length, at + target.length - i));
    } else if (at < sample.length + 8) {
      i += header.copy(target, i, at - sample.length, Math.min(8, at - sample.length + target.length - i));
    } else {
      const p = (at - sample.length - 8) % PERIOD;
      i += pat.copy(target, i, p, Math.min(PERIOD, p + target.length - i));
    }
  }
}

/** The whole body a job with these options serves (for tests to compare; it is allocated in full). */
export function contentBytes(opts: ContentOptions = {}): Buffer {
  const size = contentSize(opts);
  if (opts.sizeBytes === undefined) return mediaBytes('mp4');
  const out = Buffer.alloc(size);
  fill(size, 0, out);
  return out;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for the socket to take more, or to close; leaves no listener behind either way. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Serves the body with the flavour's headers. `dropsLeft` is the job's own counter, shared by
 * its responses, so only the first `drops` downloads are cut.
 */
export async function serveContent(
  req: IncomingMessage,
  res: ServerResponse,
  opts: ContentOptions,
  headers: Record<string, string>,
  counter: { dropsLeft: number },
): Promise<void> {
  const total = contentSize(opts);
  const range = opts.ranges === false ? undefined : parseRange(req.headers.range, total);
  if (range === 'invalid') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${total}` }).end();
    return;
  }
  const [start, end] = range ?? [0, total - 1];
  const length = end - start + 1;
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Length': String(length),
    ...(opts.ranges === false ? {} : { 'Accept-Ranges': 'bytes' }),
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${total}` } : {}),
  });
  const cut = opts.dropAfterBytes !== undefined && counter.dropsLeft > 0 ? opts.dropAfterBytes : undefined;
  if (cut !== undefined) counter.dropsLeft -= 1;
  const chunk = Math.max(1, opts.chunkBytes ?? 64 * 1024);
  // Set false on 'close': `as boolean` keeps TypeScript from taking it for true after each await.
  let open = true as boolean;
  res.on('close', () => (open = false));
  for (let sent = 0; sent < length;) {
    if (sent > 0 && opts.chunkDelayMs) await sleep(opts.chunkDelayMs);
    if (!open) return;
    const n = Math.min(chunk, length - sent, cut !== undefined ? cut - sent : Infinity);
    const buf = Buffer.alloc(n);
    fill(total, start + sent, buf);
    sent += n;
    if (!res.write(buf)) await drained(res);
    if (cut !== undefined && sent >= cut) {
      // Let the bytes already written reach the client, then cut: a download broken mid-body.
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
      res.socket?.destroy();
      return;
    }
  }
  res.end();
}
