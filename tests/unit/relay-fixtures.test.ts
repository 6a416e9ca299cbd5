/*
 * The spec for reading real relays' chat answers (issue 11): every fixture in
 * tests/fixtures/relays, fed through streamChat as the relay wrote it, whole, and cut in two at
 * every byte offset, must read to the same content, reasoning and report — and that report must
 * be what the relay meant: its video (or preview) link, its progress rising, or its failure in
 * its own words.
 */
import { describe, expect, it } from 'vitest';
import { RELAY_FIXTURES, fixtureId, fixtureText, materialize, type RelayFixture } from '../fixtures/relays/index';
import { streamChat, type ChatDelta, type ChatMessage } from '../../utils/chat/stream-client';
import { RelayError } from '../../utils/relay/errors';
import { parseTaskReport, type TaskSnapshot } from '../../utils/chat/report-parser';
import { urlOf } from './fetch-input';
import { isFinished } from '../../utils/chat/chat-protocol';

const BASE_URL = 'https://relay.example.test';
const KEY = 'sk-fixture-key-0123456789';
const MESSAGES: ChatMessage[] = [{ role: 'user', content: 'A ginger cat slowly turns its head toward the camera' }];

/** Above this many bytes a fixture is cut at every offset near its ends and every 7th between. */
const EVERY_OFFSET_UP_TO = 4096;
const EDGE = 2048;
const STEP = 7;
/** Readings run side by side: each spends most of its time waiting on its stream, not computing. */
const BATCH = 16;

interface Reading {
  content: string;
  reasoning: string;
  /** The RelayError's message when streamChat threw one. */
  thrown?: string;
  snapshot: TaskSnapshot;
  /** progress after each delta, where the report had one (when asked to track it) */
  progressSeen: number[];
}

/** A Response whose body hands out `pieces` one read at a time, as a socket would. */
function response(f: RelayFixture, pieces: Uint8Array[]): Response {
  const queue = [...pieces];
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = queue.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return new Response(body, { status: f.status, headers: f.headers });
}

async function read(f: RelayFixture, pieces: Uint8Array[], trackProgress = false): Promise<Reading> {
  let content = '';
  let reasoning = '';
  const report = () => parseTaskReport(content, { reasoning, baseUrl: BASE_URL });
  const progressSeen: number[] = [];
  let thrown: string | undefined;
  try {
    const stream = streamChat({
      baseUrl: BASE_URL,
      apiKey: KEY,
      model: f.model,
      messages: MESSAGES,
      fetch: (url, init) => {
        expect(urlOf(url)).toBe(`${BASE_URL}/v1/chat/completions`);
        expect((init?.headers as Record<string, string>).Authorization).toBe(`Bearer ${KEY}`);
        return Promise.resolve(response(f, pieces));
      },
      // As the chat protocol asks: [DONE] / finish_reason end the answer only once it is finished.
      isTerminal: () => isFinished(report()),
      stallTimeoutMs: 60_000,
    });
    for await (const delta of stream as AsyncIterable<ChatDelta>) {
      content += delta.content ?? '';
      reasoning += delta.reasoning ?? '';
      if (!trackProgress) continue;
      const progress = report().progress;
      if (progress !== undefined) progressSeen.push(progress);
    }
  } catch (error) {
    if (!(error instanceof RelayError)) throw error;
    thrown = error.message;
  }
  return { content, reasoning, thrown, snapshot: report(), progressSeen };
}

const encode = (text: string) => new TextEncoder().encode(text);

/** Offsets to cut at: all of them for a small answer; near the ends and every 7th for a large one. */
function offsets(length: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < length; i++) {
    if (length <= EVERY_OFFSET_UP_TO || i <= EDGE || i >= length - EDGE || i % STEP === 0) out.push(i);
  }
  return out;
}

/** The parts of a reading that must not depend on how the bytes were cut. */
const essence = (r: Reading) => ({ content: r.content, reasoning: r.reasoning, thrown: r.thrown, snapshot: r.snapshot });

function expectMeaning(f: RelayFixture, r: Reading): void {
  const { expect: want } = f;
  if (want.outcome === 'completed') {
    expect(r.thrown, 'a finished video must not end in an error').toBeUndefined();
    expect(r.snapshot.phase).toBe('completed');
    // Expected links are absolute: a relative one the relay sent (grok2api) resolved against its base.
    expect(r.snapshot.videoUrl).toBe(want.videoUrl);
    if (want.previewUrl !== undefined) expect(r.snapshot.previewUrl).toBe(want.previewUrl);
  } else {
    // Either the stream client stops with the relay's words, or the report says failed in them.
    const words = want.failureIncludes!;
    if (r.thrown !== undefined) expect(r.thrown).toContain(words);
    else {
      expect(r.snapshot.phase).toBe('failed');
      expect(r.snapshot.failure).toContain(words);
    }
    expect(r.snapshot.videoUrl, 'a failed answer shows no video').toBeUndefined();
  }
  if (want.taskId !== undefined) expect(r.snapshot.taskId).toBe(want.taskId);
}

describe.each(RELAY_FIXTURES.map((f) => [fixtureId(f), materialize(f, BASE_URL)] as const))('%s', (_id, f) => {
  const bytes = encode(fixtureText(f));

  it('in its real chunking: reads what the relay meant, progress rising', async () => {
    const r = await read(
      f,
      f.chunks.map((c) => encode(c.text)),
      true,
    );
    expectMeaning(f, r);
    for (let i = 1; i < r.progressSeen.length; i++) expect(r.progressSeen[i]).toBeGreaterThanOrEqual(r.progressSeen[i - 1]!);
    for (const value of f.expect.progress ?? []) expect(r.progressSeen).toContain(value);
  });

  it('whole, and cut in two at every byte offset, reads the same', async () => {
    const real = essence(
      await read(
        f,
        f.chunks.map((c) => encode(c.text)),
      ),
    );
    const whole = await read(f, [bytes]);
    expectMeaning(f, whole);
    expect(essence(whole)).toEqual(real);
    const cuts = offsets(bytes.length);
    for (let i = 0; i < cuts.length; i += BATCH) {
      const batch = cuts.slice(i, i + BATCH);
      const readings = await Promise.all(batch.map((at) => read(f, [bytes.subarray(0, at), bytes.subarray(at)])));
      readings.forEach((r, j) => {
        const split = essence(r);
        // One comparison that names the offset, only when something differs (keeps 10^4 cuts fast).
        if (JSON.stringify(split) !== JSON.stringify(real)) expect({ at: batch[j], ...split }).toEqual({ at: batch[j], ...real });
      });
    }
  }, 120_000);
});
