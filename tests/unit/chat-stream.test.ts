import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiUrl, chatCompletionsUrl, streamChat, type ChatDelta, type ChatRequest } from '../../utils/chat/stream-client';
import { RelayError } from '../../utils/relay/errors';
import { parseRetryAfter, readServerError } from '../../utils/relay/http-error';
import { urlOf } from './fetch-input';

const SEED = readFileSync(new URL('../fixtures/seed-stream.txt', import.meta.url));
const SEED_TEXT = SEED.toString('utf8');

/** The seed's content, concatenated by hand from its 78 chunks. */
const EXPECTED =
  '```json\n{\n  "prompt": "让牛的头上顶着光圈,马的脚下踩着祥云",\n  "orientation": "portrait",\n' +
  '  "sid": "s_68ec8accd80c8191ae1fc957af78caaa"\n}\n```\n\n> ID: `task_01k7e5w9z5f2d91pekrqy59rwc`\n' +
  '>[数据预览(示例)](https://example.com/?task-preview=2) | [原始数据(示例)](https://example.com/?task-source=2)\n' +
  '> 排队中.....\n> 生成中.\n\n>🏃 进度 36..44..61..69..81..\n\n> 生成完成 ✅\n' +
  '> sid: s_68eca3f141808191b1fd30fea1b731bd\n\n[预览图(示例)](https://example.com/?video-preview=2)\n' +
  '[视频文件(示例)](https://example.com/?video-file=2)';

const KEY = 'sk-test-0123456789abcdef';
const enc = new TextEncoder();

type Chunk = string | Uint8Array;
interface Body {
  chunks: Chunk[];
  /** After the chunks: hang forever, or fail like a dropped connection. */
  then?: 'hang' | Error;
  /** Milliseconds before each chunk (uses timers, so fake timers drive it). */
  delayMs?: number;
}

/** A body that hands out one chunk per read and records whether it was cancelled. */
function bodyStream(body: Body) {
  const state = { cancelled: false, reads: 0 };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      state.reads++;
      if (body.delayMs) await new Promise((r) => setTimeout(r, body.delayMs));
      const chunk = body.chunks[i++];
      if (chunk !== undefined) {
        controller.enqueue(typeof chunk === 'string' ? enc.encode(chunk) : chunk);
      } else if (body.then === 'hang') {
        await new Promise(() => {});
      } else if (body.then instanceof Error) {
        controller.error(body.then);
      } else {
        controller.close();
      }
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

interface Call {
  url: string;
  init: RequestInit;
}

function sse(body: Body | Chunk[], init: ResponseInit = {}) {
  const spec = Array.isArray(body) ? { chunks: body } : body;
  const { stream, state } = bodyStream(spec);
  const calls: Call[] = [];
  const fetch = vi.fn((url: string | URL | Request, reqInit?: RequestInit) => {
    calls.push({ url: urlOf(url), init: reqInit ?? {} });
    return Promise.resolve(
      new Response(stream, {
        status: 200,
        ...init,
        headers: { 'content-type': 'text/event-stream', ...(init.headers as Record<string, string>) },
      }),
    );
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls, state };
}

function request(fetch: typeof globalThis.fetch, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    baseUrl: 'https://relay.example.com',
    apiKey: KEY,
    model: 'sora-2',
    messages: [{ role: 'user', content: '让牛的头上顶着光圈' }],
    fetch,
    ...extra,
  };
}

/** The content of each delta that carries any (most tests here are about content only). */
async function collect(gen: AsyncGenerator<ChatDelta>): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of gen) if (piece.content !== undefined) out.push(piece.content);
  return out;
}

async function collectDeltas(gen: AsyncGenerator<ChatDelta>): Promise<ChatDelta[]> {
  const out: ChatDelta[] = [];
  for await (const piece of gen) out.push(piece);
  return out;
}

async function run(chunks: Body | Chunk[], init?: ResponseInit): Promise<string> {
  return (await collect(streamChat(request(sse(chunks, init).fetch)))).join('');
}

async function failure(work: Promise<unknown>): Promise<RelayError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(RelayError);
    return error as RelayError;
  }
  throw new Error('expected a RelayError, got success');
}

async function runError(chunks: Body | Chunk[], init?: ResponseInit): Promise<RelayError> {
  return failure(run(chunks, init));
}

/** Independent oracle: the seed's events re-serialised one line each. */
function seedEvents(): unknown[] {
  return SEED_TEXT.split('\n\n')
    .filter((block) => !block.startsWith('data: [DONE'))
    .map((block) => JSON.parse(block.replace(/^data: /, '')) as unknown);
}
const COMPACT = `${seedEvents()
  .map((event) => `data: ${JSON.stringify(event)}\n\n`)
  .join('')}data: [DONE]\n\n`;

function chunk(content: string, extra = ''): string {
  return `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}]${extra}}\n\n`;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('chatCompletionsUrl / apiUrl', () => {
  it('normalises trailing slashes, /v1, a path prefix and a pasted full endpoint', () => {
    for (const base of [
      'https://x.com',
      'https://x.com/',
      'https://x.com/v1',
      'https://x.com/v1/',
      ' https://x.com/v1/chat/completions ',
    ]) {
      expect(chatCompletionsUrl(base)).toBe('https://x.com/v1/chat/completions');
    }
    expect(chatCompletionsUrl('https://x.com/openai')).toBe('https://x.com/openai/v1/chat/completions');
    expect(chatCompletionsUrl('https://x.com/openai/v1/')).toBe('https://x.com/openai/v1/chat/completions');
    expect(chatCompletionsUrl('http://localhost:8787')).toBe('http://localhost:8787/v1/chat/completions');
    expect(apiUrl('https://x.com/v1', '/v1/models')).toBe('https://x.com/v1/models');
    expect(apiUrl('https://x.com/', 'models')).toBe('https://x.com/v1/models');
  });

  it('rejects a base URL that is not absolute http(s)', () => {
    expect(() => chatCompletionsUrl('relay.example.com')).toThrow(RelayError);
    expect(() => chatCompletionsUrl('file:///etc/passwd')).toThrow(/http/);
  });
});

describe('streamChat request', () => {
  it('POSTs the exact body, headers and fetch options', async () => {
    const { fetch, calls } = sse([chunk('hi'), 'data: [DONE]\n\n']);
    const out = await collect(streamChat(request(fetch, { baseUrl: 'https://relay.example.com/v1/' })));
    expect(out).toEqual(['hi']);
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe('https://relay.example.com/v1/chat/completions');
    expect(init.method).toBe('POST');
    const headers = new Headers(init.headers);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('accept')).toBe('text/event-stream');
    expect(headers.get('authorization')).toBe(`Bearer ${KEY}`);
    expect(init.body).toBe('{"model":"sora-2","messages":[{"role":"user","content":"让牛的头上顶着光圈"}],"stream":true}');
    expect(init.credentials).toBe('omit');
    expect(init.cache).toBe('no-store');
    // A redirect would carry the key to wherever it points.
    expect(init.redirect).toBe('error');
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });
});

describe('streamChat on the seed stream', () => {
  it('yields the seed content when fed whole', async () => {
    const content = await run([SEED]);
    expect(content.startsWith('```json\n{\n  "prompt": "让牛的头上顶着光圈,马的脚下踩着祥云",')).toBe(true);
    expect(content.endsWith('[视频文件(示例)](https://example.com/?video-file=2)')).toBe(true);
    expect(content).toBe(EXPECTED);
  });

  it('yields the same content split into two chunks at every byte offset', async () => {
    const mismatches: number[] = [];
    for (let at = 1; at < SEED.length; at++) {
      const content = await run([SEED.subarray(0, at), SEED.subarray(at)]);
      if (content !== EXPECTED) mismatches.push(at);
    }
    expect(mismatches).toEqual([]);
  }, 300_000);

  it('yields the same content from 1-byte chunks, one delta per event', async () => {
    const pieces = await collect(streamChat(request(sse(Array.from(SEED, (b) => Uint8Array.of(b))).fetch)));
    expect(pieces.join('')).toBe(EXPECTED);
    expect(pieces).toHaveLength(75); // 78 chunks minus three empty deltas (role, #62, stop)
  });

  it('yields the same content from compact one-line-per-event framing, whole and split everywhere', async () => {
    expect(await run([COMPACT])).toBe(EXPECTED);
    const bytes = enc.encode(COMPACT);
    const mismatches: number[] = [];
    for (let at = 1; at < bytes.length; at += 7) {
      if ((await run([bytes.subarray(0, at), bytes.subarray(at)])) !== EXPECTED) mismatches.push(at);
    }
    expect(mismatches).toEqual([]);
  }, 60_000);
});

describe('streamChat transport tolerance', () => {
  it('accepts CRLF line endings, split between CR and LF', async () => {
    const crlf = COMPACT.replace(/\n/g, '\r\n');
    expect(await run([crlf])).toBe(EXPECTED);
    const cut = crlf.indexOf('\r\n') + 1;
    expect(await run([crlf.slice(0, cut), crlf.slice(cut)])).toBe(EXPECTED);
    expect(await run([SEED_TEXT.replace(/\n/g, '\r\n')])).toBe(EXPECTED);
  });

  it('accepts lone CR line endings', async () => {
    expect(await run([COMPACT.replace(/\n/g, '\r')])).toBe(EXPECTED);
    expect(await run([SEED_TEXT.replace(/\n/g, '\r')])).toBe(EXPECTED);
  });

  it('ignores `:` comment keep-alive lines', async () => {
    expect(await run([': keep-alive\n\n', chunk('a'), ':\n', ': ping\n\n', chunk('b'), 'data: [DONE]\n\n'])).toBe('ab');
  });

  it('accepts `data:` with no space', async () => {
    expect(await run(['data:{"choices":[{"delta":{"content":"x"}}]}\n\n', 'data:[DONE]\n\n'])).toBe('x');
  });

  it('reassembles multi-byte UTF-8 characters split across chunks', async () => {
    const bytes = enc.encode(chunk('生成完成 ✅ 🏃 进度') + 'data: [DONE]\n\n');
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 2) chunks.push(bytes.subarray(at, at + 2));
    expect(await run(chunks)).toBe('生成完成 ✅ 🏃 进度');
  });

  it('ignores non-SSE lines such as a bare timestamp between events, also before a pretty-printed one', async () => {
    const pretty = 'data: {\n  "choices": [\n    {"delta": {"content": "c"}}\n  ]\n}\n\n';
    expect(await run([chunk('a'), '2025-10-13T06:59:35Z\n', chunk('b'), '1760338775\n', pretty, 'data: [DONE]\n\n'])).toBe('abc');
  });

  it.each([
    ['[DONE\\n] as in the seed', 'data: [DONE\n]\n'],
    ['[ DONE ]', 'data: [ DONE ]\n\n'],
    ['extra whitespace', 'data:    [DONE]   \r\n\r\n'],
  ])('ends the stream at oddly written [DONE]: %s', async (_name, done) => {
    const { fetch, state } = sse({ chunks: [chunk('a'), done + chunk('never')], then: 'hang' });
    expect((await collect(streamChat(request(fetch)))).join('')).toBe('a');
    expect(state.cancelled).toBe(true);
  });

  it('ends normally without [DONE] when content was received', async () => {
    expect(await run([chunk('a'), chunk('b')])).toBe('ab');
    expect(await run([chunk('a').trimEnd()])).toBe('a');
  });

  it('yields nothing for the finish_reason "stop" chunk with an empty delta', async () => {
    const stop = 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
    const pieces = await collect(streamChat(request(sse([chunk('a'), stop, 'data: [DONE]\n\n']).fetch)));
    expect(pieces).toEqual(['a']);
  });

  it('skips malformed JSON events between good ones', async () => {
    expect(await run([chunk('a'), 'data: {"choices":[{"delta":\n\n', 'data: oops\n\n', chunk('b'), 'data: [DONE]\n\n'])).toBe('ab');
  });

  it('throws protocol when nothing in the stream could be parsed', async () => {
    const bad = await runError(['data: {oops\n\n', 'data: nope\n\n', 'data: [DONE]\n\n']);
    expect(bad.kind).toBe('protocol');
    expect(bad.message).toContain('{oops');
    const text = await runError(['Service temporarily unavailable\n'], { headers: { 'content-type': 'text/plain' } });
    expect(text.kind).toBe('protocol');
    expect((await runError([])).kind).toBe('protocol');
  });

  it('throws protocol when the stream ends with no content and no [DONE]', async () => {
    const roleOnly = 'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n';
    const error = await runError([roleOnly]);
    expect(error.kind).toBe('protocol');
    expect(error.message).toMatch(/before any content/);
  });

  it('yields the message content once from a non-stream JSON answer', async () => {
    const answer = JSON.stringify({
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: '> 生成完成 ✅' }, finish_reason: 'stop' }],
    });
    const json = { headers: { 'content-type': 'application/json' } };
    const pieces = await collect(streamChat(request(sse([answer.slice(0, 20), answer.slice(20)], json).fetch)));
    expect(pieces).toEqual(['> 生成完成 ✅']);
    // And SSE mislabelled as JSON is still read as SSE.
    expect(await run([chunk('s'), 'data: [DONE]\n\n'], json)).toBe('s');
  });

  it('throws protocol with a short message for a 200 HTML page', async () => {
    const page = `<!doctype html><html><head><title>Welcome</title></head><body>${'x'.repeat(5000)}</body></html>`;
    for (const type of ['text/html; charset=utf-8', 'text/event-stream']) {
      const error = await runError([page], { headers: { 'content-type': type } });
      expect(error.kind).toBe('protocol');
      expect(error.message).toMatch(/HTML/);
      expect(error.message.length).toBeLessThan(160);
      expect(error.message).not.toContain('<');
    }
  });
});

describe('streamChat HTTP errors', () => {
  const json = (value: unknown) => JSON.stringify(value);
  const cases: [string, number, string, string, string][] = [
    [
      '400 OpenAI JSON',
      400,
      json({ error: { message: 'messages is required', type: 'invalid_request_error', code: null } }),
      'bad-request',
      'messages is required',
    ],
    [
      '400 moderation',
      400,
      json({ error: { message: 'Your prompt was flagged by our moderation system', code: 'content_policy_violation' } }),
      'bad-request',
      'Your prompt was flagged by our moderation system',
    ],
    ['401 plain text', 401, 'Invalid token', 'auth', 'Invalid token'],
    ['403 bad key', 403, json({ message: 'access denied for this token' }), 'auth', 'access denied for this token'],
    [
      '403 no balance',
      403,
      json({ error: { message: 'User quota is not enough', type: 'new_api_error' } }),
      'quota',
      'User quota is not enough',
    ],
    ['403 余额', 403, json({ error: { message: '用户余额不足' } }), 'quota', '用户余额不足'],
    ['402', 402, json({ detail: 'Payment required' }), 'quota', 'Payment required'],
    [
      '404 unknown model',
      404,
      json({ error: { message: 'model sora-3 not found', code: 'model_not_found' } }),
      'not-found',
      'model sora-3 not found',
    ],
    ['500 plain text', 500, 'upstream exploded', 'server', 'upstream exploded'],
    ['502 HTML', 502, '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>', 'server', '502 Bad Gateway'],
    ['503 detail list', 503, json({ detail: [{ loc: ['body'], msg: 'overloaded' }] }), 'server', 'overloaded'],
  ];
  it.each(cases)('%s', async (_name, status, body, kind, serverMessage) => {
    const error = await runError([body], { status, headers: { 'content-type': 'application/json' } });
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.serverMessage).toBe(serverMessage);
    expect(error.message).toContain(serverMessage);
  });

  it('429 → rate-limit with Retry-After in seconds or as an HTTP date', async () => {
    const body = JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error' } });
    const seconds = await runError([body], { status: 429, headers: { 'retry-after': '17' } });
    expect([seconds.kind, seconds.retryAfterSec, seconds.serverMessage]).toEqual(['rate-limit', 17, 'Rate limit reached']);
    const date = new Date(Date.now() + 120_000).toUTCString();
    const dated = await runError([body], { status: 429, headers: { 'retry-after': date } });
    expect(dated.kind).toBe('rate-limit');
    expect(dated.retryAfterSec).toBeGreaterThanOrEqual(118);
    expect(dated.retryAfterSec).toBeLessThanOrEqual(120);
    const none = await runError(['slow down'], { status: 429 });
    expect([none.kind, none.retryAfterSec, none.serverMessage]).toEqual(['rate-limit', undefined, 'slow down']);
  });

  it('parseRetryAfter reads delta-seconds and HTTP dates against a given clock', () => {
    const now = Date.parse('Mon, 13 Oct 2025 07:00:00 GMT');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Mon, 13 Oct 2025 07:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Mon, 13 Oct 2025 06:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('truncates a long plain-text body to about 500 characters', async () => {
    const error = await runError(['E'.repeat(3000)], { status: 500 });
    expect(error.kind).toBe('server');
    expect(error.serverMessage).toBe(`${'E'.repeat(500)}…`);
    expect(error.message.length).toBeLessThan(300);
  });

  it('redacts the API key that a relay echoes back', async () => {
    const body = JSON.stringify({ error: { message: `invalid key ${KEY} (Bearer ${KEY})`, code: 'invalid_api_key' } });
    const error = await runError([body], { status: 401 });
    expect(error.kind).toBe('auth');
    expect(error.serverMessage).toBe('invalid key *** (Bearer ***)');
    expect(JSON.stringify(error.toJSON())).not.toContain(KEY);
  });

  it('a key straddling the cut of a quoted unreadable answer leaves none of it behind', async () => {
    for (let at = 60; at <= 130; at += 5) {
      // Not JSON and not SSE: the failure quotes how the answer began, the key hidden first.
      const json = await runError([`{${'x'.repeat(at)} Bearer ${KEY} }`], { headers: { 'content-type': 'application/json' } });
      const sse = await runError([`${'y'.repeat(at)} Bearer ${KEY}\n\n`]);
      for (const error of [json, sse]) {
        expect(error.kind).toBe('protocol');
        expect(error.message).toMatch(/it began: /);
        expect(error.message).not.toContain(KEY.slice(0, 8));
      }
    }
  });

  it("the relay's words beside an error object that has none of its own are kept", async () => {
    const body = JSON.stringify({ error: { code: 'upstream_error' }, message: 'Your prompt violates our content policy' });
    const error = await runError([body], { status: 400 });
    expect(error.serverMessage).toBe('Your prompt violates our content policy');
    expect(error.code).toBe('upstream_error');
  });
});

describe('streamChat errors inside the stream', () => {
  const errorEvent = (error: unknown) => `data: ${JSON.stringify({ error })}\n\n`;
  it.each([
    [{ message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' }, 'quota'],
    [{ message: 'Rate limit reached for sora-2', type: 'requests', code: 'rate_limit_exceeded' }, 'rate-limit'],
    [{ message: 'Request blocked by content policy', type: 'invalid_request_error', code: 'content_policy_violation' }, 'bad-request'],
    [{ message: 'upstream timeout', type: 'upstream_error', code: 'do_request_failed' }, 'server'],
  ])('%j → %s, after yielding the content before it', async (error, kind) => {
    const pieces: string[] = [];
    const thrown = await failure(
      (async () => {
        for await (const piece of streamChat(request(sse([chunk('> 排队中'), errorEvent(error), chunk('never')]).fetch))) {
          pieces.push(piece.content ?? '');
        }
      })(),
    );
    expect(pieces).toEqual(['> 排队中']);
    expect(thrown.kind).toBe(kind);
    expect(thrown.serverMessage).toBe(error.message);
    expect(thrown.code).toBe(error.code);
  });

  it('reads an error object in a non-stream JSON answer and redacts the key', async () => {
    const body = JSON.stringify({ error: { message: `no credit left for ${KEY}`, type: 'insufficient_quota' } });
    const error = await runError([body], { headers: { 'content-type': 'application/json' } });
    expect(error.kind).toBe('quota');
    expect(error.serverMessage).toBe('no credit left for ***');
  });
});

describe('streamChat network, cancel and stall', () => {
  it('fetch rejection → network, with the key redacted', async () => {
    const fetch = vi.fn(() => Promise.reject(new TypeError(`Failed to fetch (${KEY})`))) as unknown as typeof globalThis.fetch;
    const error = await failure(collect(streamChat(request(fetch))));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('Failed to fetch');
    expect(error.message).not.toContain(KEY);
  });

  it('connection dropped mid-stream → network, after the content received so far', async () => {
    const pieces: string[] = [];
    const { fetch } = sse({ chunks: [chunk('a'), chunk('b')], then: new TypeError('terminated') });
    const error = await failure(
      (async () => {
        for await (const piece of streamChat(request(fetch))) pieces.push(piece.content ?? '');
      })(),
    );
    expect(pieces).toEqual(['a', 'b']);
    expect(error.kind).toBe('network');
  });

  it('aborted before fetch resolves → cancelled, even if fetch ignores the signal', async () => {
    const controller = new AbortController();
    let called!: () => void;
    const started = new Promise<void>((r) => (called = r));
    const fetch = vi.fn(() => {
      called();
      return new Promise<Response>(() => {});
    }) as unknown as typeof globalThis.fetch;
    const pending = failure(collect(streamChat(request(fetch, { signal: controller.signal }))));
    await started;
    controller.abort();
    expect((await pending).kind).toBe('cancelled');
  });

  it('already-aborted signal → cancelled without calling fetch', async () => {
    const { fetch } = sse([chunk('a')]);
    const error = await failure(collect(streamChat(request(fetch, { signal: AbortSignal.abort() }))));
    expect(error.kind).toBe('cancelled');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('aborted mid-stream → cancelled, and the body is cancelled', async () => {
    const controller = new AbortController();
    const { fetch, state } = sse({ chunks: [chunk('a')], then: 'hang' });
    const pieces: string[] = [];
    const error = await failure(
      (async () => {
        for await (const piece of streamChat(request(fetch, { signal: controller.signal }))) {
          pieces.push(piece.content ?? '');
          setTimeout(() => controller.abort(), 5);
        }
      })(),
    );
    expect(pieces).toEqual(['a']);
    expect(error.kind).toBe('cancelled');
    expect(state.cancelled).toBe(true);
  });

  it('no byte for stallTimeoutMs → timeout, and no timer is left behind', async () => {
    vi.useFakeTimers();
    const { fetch, state } = sse({ chunks: [chunk('a')], then: 'hang' });
    const pending = failure(collect(streamChat(request(fetch, { stallTimeoutMs: 1_000 }))));
    await vi.advanceTimersByTimeAsync(999);
    expect(state.cancelled).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    const error = await pending;
    expect(error.kind).toBe('timeout');
    expect(state.cancelled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('defaults the stall timeout to 10 minutes', async () => {
    vi.useFakeTimers();
    const { fetch } = sse({ chunks: [], then: 'hang' });
    let settled = false;
    const pending = failure(collect(streamChat(request(fetch)))).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(599_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_001);
    expect((await pending).kind).toBe('timeout');
  });

  it('every chunk resets the stall timer', async () => {
    vi.useFakeTimers();
    const chunks = Array.from('abcdefghij', (c) => chunk(c));
    const { fetch } = sse({ chunks: [...chunks, 'data: [DONE]\n\n'], delayMs: 400 });
    const pending = collect(streamChat(request(fetch, { stallTimeoutMs: 1_000 })));
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await pending).join('')).toBe('abcdefghij');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a finish_reason and then an open, silent socket: the answer ends after the grace, not at the stall timeout', async () => {
    vi.useFakeTimers();
    const done = `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`;
    const { fetch, state } = sse({ chunks: [chunk('> 生成完成 ✅'), done], then: 'hang' });
    let settled = false;
    const pending = collect(streamChat(request(fetch, { stallTimeoutMs: 600_000 }))).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(2_900);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(await pending).toEqual(['> 生成完成 ✅']);
    expect(state.cancelled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a usage chunk and [DONE] inside the grace end the answer as usual, with everything in it', async () => {
    vi.useFakeTimers();
    const stop = `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`;
    const usage = `data: {"choices":[],"usage":{"total_tokens":9}}\n\n`;
    const { fetch } = sse({ chunks: [chunk('a'), stop, chunk('b'), usage, 'data: [DONE]\n\n'], delayMs: 500 });
    const pending = collect(streamChat(request(fetch)));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await pending).toEqual(['a', 'b']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a finish_reason that is not the end (an early "stop", or "" on every chunk) never cuts a slow answer short', async () => {
    vi.useFakeTimers();
    const withReason = (content: string, reason: string) =>
      `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":${JSON.stringify(reason)}}]}\n\n`;
    const empty = sse({
      chunks: [withReason('> 排队中\n', ''), withReason('> 生成中\n', ''), withReason('> 生成完成 ✅', ''), 'data: [DONE]\n\n'],
      delayMs: 5_000,
    });
    let pending = collect(streamChat(request(empty.fetch)));
    await vi.advanceTimersByTimeAsync(25_000);
    expect((await pending).join('')).toBe('> 排队中\n> 生成中\n> 生成完成 ✅');

    const early = sse({ chunks: [withReason('a', 'stop'), chunk('b'), chunk('c'), chunk('d'), 'data: [DONE]\n\n'], delayMs: 2_000 });
    pending = collect(streamChat(request(early.fetch)));
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await pending).toEqual(['a', 'b', 'c', 'd']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a finish_reason with nothing before it is still an answer without content', async () => {
    vi.useFakeTimers();
    const stop = `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`;
    const { fetch } = sse({ chunks: [stop], then: 'hang' });
    const pending = failure(collect(streamChat(request(fetch, { finishGraceMs: 1_000 }))));
    await vi.advanceTimersByTimeAsync(1_100);
    const error = await pending;
    expect(error.kind).toBe('protocol');
    expect(error.message).toMatch(/ended before any content arrived/);
  });

  it('an early return() cancels the body and clears the stall timer', async () => {
    vi.useFakeTimers();
    const { fetch, state } = sse({ chunks: [chunk('a'), chunk('b')], then: 'hang' });
    const gen = streamChat(request(fetch));
    expect(await gen.next()).toEqual({ done: false, value: { content: 'a' } });
    expect(vi.getTimerCount()).toBe(1);
    await gen.return(undefined);
    expect(state.cancelled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('streamChat on the shapes real relays send', () => {
  const delta = (fields: Record<string, unknown>, finish: unknown = null, withFinishKey = true) =>
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: fields, ...(withFinishKey && { finish_reason: finish }) }] })}\n\n`;

  it('yields reasoning_content and reasoning apart from content (sora2api, flow2api, grok2api)', async () => {
    const { fetch } = sse([
      delta({ role: 'assistant', content: null, reasoning_content: '生成进度: 7%\n' }),
      delta({ content: null, reasoning: '生成进度: 50%\n' }),
      delta({ content: '<video src="x"></video>', reasoning_content: '' }, 'STOP'),
      'data: [DONE]\n\n',
    ]);
    expect(await collectDeltas(streamChat(request(fetch)))).toEqual([
      { reasoning: '生成进度: 7%\n' },
      { reasoning: '生成进度: 50%\n' },
      { content: '<video src="x"></video>' },
    ]);
  });

  it('reads reasoning from a non-stream JSON answer too', async () => {
    const body = JSON.stringify({
      choices: [{ message: { role: 'assistant', content: 'https://x/v.mp4', reasoning_content: '视频正在生成 100%' } }],
    });
    const { fetch } = sse([body], { headers: { 'content-type': 'application/json' } });
    expect(await collectDeltas(streamChat(request(fetch)))).toEqual([{ content: 'https://x/v.mp4', reasoning: '视频正在生成 100%' }]);
  });

  it("an `event: error` with its error object is a failure in the relay's words (grok2api)", async () => {
    const pieces: ChatDelta[] = [];
    const error = await failure(
      (async () => {
        const { fetch } = sse([
          delta({ reasoning_content: '视频正在生成 20%\n' }),
          `event: error\ndata: ${JSON.stringify({ error: { message: `Video generation blocked for ${KEY}`, type: 'server_error', code: 'upstream_error' } })}\n\n`,
        ]);
        for await (const piece of streamChat(request(fetch))) pieces.push(piece);
      })(),
    );
    expect(pieces).toEqual([{ reasoning: '视频正在生成 20%\n' }]);
    expect(error.serverMessage).toBe('Video generation blocked for ***');
    // An error event whose data is the bare error, not wrapped in `error`, reads the same.
    const bare = await runError([chunk('a'), 'event: error\ndata: {"message":"No available tokens","type":"rate_limit_error"}\n\n']);
    expect(bare.serverMessage).toBe('No available tokens');
    expect(bare.kind).toBe('rate-limit');
  });

  it('a bare error object with a status_code inside a 200 stream fails with its words and status (flow2api)', async () => {
    const error = await runError([
      delta({ reasoning_content: '错误: 配额不足\n' }),
      `data: ${JSON.stringify({ error: { message: '配额不足', status_code: 429 } })}\n\n`,
      'data: [DONE]\n\n',
    ]);
    expect(error.serverMessage).toBe('配额不足');
    expect(error.kind).toBe('quota');
  });

  it('reads a FastAPI {"detail": …} 401 body as the relay\'s words', async () => {
    const error = await runError(['{"detail":"Invalid API key"}'], { status: 401, headers: { 'content-type': 'application/json' } });
    expect(error.kind).toBe('auth');
    expect(error.serverMessage).toBe('Invalid API key');
  });

  it('[DONE] twice: the first, before the report is finished, does not end the answer (gpt4free-ts)', async () => {
    let content = '';
    const isTerminal = () => content.includes('.mp4');
    const { fetch, state } = sse({
      chunks: [
        chunk('```json\n{"step":1}\n```\n'),
        'data: [DONE]\n\n',
        chunk('> 生成中\n'),
        chunk('[视频](https://x/v.mp4)') + 'data: [DONE]\n\n' + chunk('after the end'),
      ],
      then: 'hang',
    });
    for await (const piece of streamChat(request(fetch, { isTerminal }))) content += piece.content ?? '';
    expect(content).toBe('```json\n{"step":1}\n```\n> 生成中\n[视频](https://x/v.mp4)');
    expect(state.cancelled).toBe(true);
  });

  it('finish_reason "STOP" on every chunk with 5 s between chunks does not cut the answer short', async () => {
    vi.useFakeTimers();
    let content = '';
    const isTerminal = () => content.includes('<video');
    const { fetch, state } = sse({
      chunks: [
        delta({ content: '> 排队中\n' }, 'STOP'),
        delta({ content: '> 生成中\n' }, 'STOP'),
        delta({ content: "<video src='https://x/v.mp4'></video>" }, 'STOP'),
      ],
      delayMs: 5_000,
      then: 'hang',
    });
    const pending = (async () => {
      for await (const piece of streamChat(request(fetch, { isTerminal }))) content += piece.content ?? '';
    })();
    await vi.advanceTimersByTimeAsync(20_000);
    await pending;
    expect(content).toBe("> 排队中\n> 生成中\n<video src='https://x/v.mp4'></video>");
    // It ended on the finish_reason once the report held the video, not at the stall timeout.
    expect(state.cancelled).toBe(true);
  });

  it('finish_reason only in a final empty chunk, others without the key (grok2api)', async () => {
    vi.useFakeTimers();
    let content = '';
    const { fetch } = sse({ chunks: [delta({ content: 'https://x/v.mp4' }, null, false), delta({}, 'stop')], then: 'hang' });
    const pending = (async () => {
      for await (const piece of streamChat(request(fetch, { isTerminal: () => content !== '' }))) content += piece.content ?? '';
    })();
    await vi.advanceTimersByTimeAsync(3_100);
    await pending;
    expect(content).toBe('https://x/v.mp4');
  });

  it('bytes that carry no content (`: ping`, empty deltas) do not keep a stalled answer alive', async () => {
    vi.useFakeTimers();
    const pings = Array.from({ length: 30 }, (_, i) => (i % 2 ? ': ping\n\n' : delta({ content: '' })));
    const { fetch } = sse({ chunks: [chunk('> 生成中\n'), ...pings], delayMs: 100, then: 'hang' });
    const pending = failure(collect(streamChat(request(fetch, { stallTimeoutMs: 1_000 }))));
    await vi.advanceTimersByTimeAsync(1_500);
    const error = await pending;
    expect(error.kind).toBe('timeout');
  });
});

describe('readServerError on hostile bodies', () => {
  it('reads a page of unclosed tags in linear time (a quadratic scan would run past the test timeout)', () => {
    const body = `<html>${'<title'.repeat(40_000)}${'<'.repeat(200_000)}`;
    expect(readServerError(body).message).toBeDefined();
    expect(readServerError('<html><title> Bad gateway </title><body><p>x</p>').message).toBe('Bad gateway');
    expect(readServerError('<html><body><h1>Bad</h1> <b>gateway</b></body>').message).toBe('Bad gateway');
  });
});
