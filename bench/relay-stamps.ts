// Stamps what the mock relay writes on its chat streams, without touching tests/relay: every
// `res.write` of a `/v1/chat/completions` response in this process is timed (epoch ms, sub-ms)
// and its content deltas read back, so the bench knows when each progress step left the relay.
import { ServerResponse } from 'node:http';

export interface Stamp {
  /** Which chat response (1, 2, … in the order they started). */
  stream: number;
  t: number;
  /** Chunk events in this write. */
  events: number;
  content: string;
  /** The progress number this write's content ends on (`… 36..`), if any. */
  progress?: number;
}

export const nowMs = (): number => performance.timeOrigin + performance.now();

export class RelayStamps {
  readonly stamps: Stamp[] = [];
  readonly finished = new Map<number, number>();
  private readonly ids = new WeakMap<ServerResponse, number>();
  private next = 1;
  private original: typeof ServerResponse.prototype.write | undefined;

  install(): void {
    if (this.original) return;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called on each response, and put back by uninstall
    const original = ServerResponse.prototype.write;
    this.original = original;
    const record = (res: ServerResponse, text: string) => this.record(res, text);
    ServerResponse.prototype.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      const url = this.req.url ?? '';
      if (url.startsWith('/v1/chat/completions') && (typeof chunk === 'string' || chunk instanceof Uint8Array)) {
        record(this, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      }
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof ServerResponse.prototype.write;
  }

  uninstall(): void {
    if (this.original) ServerResponse.prototype.write = this.original;
    this.original = undefined;
  }

  /** Stamps of one stream, or of every stream started at or after `fromStream`. */
  of(stream: number): Stamp[] {
    return this.stamps.filter((s) => s.stream === stream);
  }

  get streams(): number {
    return this.next - 1;
  }

  /** Chunk events written in [from, to). */
  eventsBetween(from: number, to: number): number {
    return this.stamps.filter((s) => s.t >= from && s.t < to).reduce((n, s) => n + s.events, 0);
  }

  private record(res: ServerResponse, text: string): void {
    const t = nowMs();
    let stream = this.ids.get(res);
    if (stream === undefined) {
      stream = this.next++;
      this.ids.set(res, stream);
      const id = stream;
      res.once('close', () => this.finished.set(id, nowMs()));
    }
    let content = '';
    let events = 0;
    // One write is one event (plus any noise): compact `data: {…}` or the seed's pretty layout,
    // JSON spread over lines after the first `data: `.
    for (const block of text.split(/\r?\n\r?\n/)) {
      const start = block.search(/^data:/m);
      if (start === -1) continue;
      const data = block.slice(start).replace(/^data: ?/, '');
      if (!data.trimStart().startsWith('{')) continue;
      try {
        const value = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
        events++;
        const delta = value.choices?.[0]?.delta?.content;
        if (typeof delta === 'string') content += delta;
      } catch {
        // a broken event (the malformed scenario): not a chunk
      }
    }
    const progress = /(\d{1,3})\.\.\s*$/.exec(content);
    this.stamps.push({ stream, t, events, content, ...(progress ? { progress: Number(progress[1]) } : {}) });
  }
}
