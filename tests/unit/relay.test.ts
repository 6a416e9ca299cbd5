import { readFileSync } from 'node:fs';
import { createParser } from 'eventsource-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay, type RelayJob, type ScenarioName, type ScenarioSpec } from '../relay/index';
import { streamChat, type ChatMessage } from '../../utils/chat/stream-client';
import { parseTaskReport } from '../../utils/chat/report-parser';

const FIXTURE = readFileSync(new URL('../fixtures/seed-stream.txt', import.meta.url), 'utf8');
const MP4 = readFileSync(new URL('../fixtures/media/sample.mp4', import.meta.url));
const KEY = 'sk-test-relay';

// The seed document's own request: a remix of s_68ec8acc… with a new instruction.
const SEED_REQUEST = {
  model: 'sora-2',
  stream: true,
  messages: [
    { role: 'user', content: '生成一段高清的,牛马跳舞的视频' },
    {
      role: 'assistant',
      content:
        '```json\n{\n  "prompt": "生成一段高清的,牛马跳舞的视频",\n  "orientation": "portrait"\n}\n```\n\n> ID: `task_01k7dzptgwf2z87wj2c3t36qk0`\n' +
        '>[数据预览(示例)](https://example.com/?task-preview=1) | [原始数据(示例)](https://example.com/?task-source=1)\n> 排队中......\n> 生成中.\n\n' +
        '>🏃 进度 76..\n\n> 生成完成 ✅\n> sid: s_68ec8accd80c8191ae1fc957af78caaa\n\n[预览图(示例)](https://example.com/?video-preview=1)\n[视频文件(示例)](https://example.com/?video-file=1)',
    },
    { role: 'user', content: '让牛的头上顶着光圈,马的脚下踩着祥云' },
  ],
};

let relay: Relay;
beforeEach(async () => {
  relay = await startRelay();
});
afterEach(async () => {
  await relay.close();
});

function chat(body: unknown = SEED_REQUEST, init: RequestInit = {}, key = KEY): Promise<Response> {
  return fetch(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', Authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
    ...init,
  });
}

async function run(scenario: ScenarioName | ScenarioSpec, body: unknown = SEED_REQUEST): Promise<{ text: string; job: RelayJob }> {
  relay.setScenario(typeof scenario === 'string' ? { name: scenario, slow: 0 } : { slow: 0, ...scenario });
  const res = await chat(body);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, job: relay.jobs.at(-1)! };
}

/** Replaces everything that is fresh per job (or per relay) with placeholders. */
function normalize(text: string, v: { chatId: string; created: string; taskId: string; sid: string; links: string[] }): string {
  let out = text.split(v.chatId).join('<CHAT>').split(`"created": ${v.created}`).join('"created": <T>');
  out = out.split(`"created":${v.created}`).join('"created":<T>');
  // Longest first: the task page URL is a prefix of the task source URL.
  const order = v.links.map((link, i) => [link, i] as const).sort((a, b) => b[0].length - a[0].length);
  for (const [link, i] of order) out = out.split(link).join(`<LINK${i}>`);
  return out.split(v.taskId).join('<TASK>').split(v.sid).join('<SID>');
}

const normalizeFixture = (text: string) =>
  normalize(text, {
    chatId: 'chatcmpl-89C77NMqv7oh6ajWBZful0xBNsJN1',
    created: '1760338775',
    taskId: 'task_01k7e5w9z5f2d91pekrqy59rwc',
    sid: 's_68eca3f141808191b1fd30fea1b731bd',
    links: [
      'https://example.com/?task-preview=2',
      'https://example.com/?task-source=2',
      'https://example.com/?video-preview=2',
      'https://example.com/?video-file=2',
    ],
  });

const normalizeRelay = (text: string, job: RelayJob) =>
  normalize(text, {
    chatId: /"id": ?"(chatcmpl-\w+)"/.exec(text)![1]!,
    created: /"created": ?(\d+)/.exec(text)![1]!,
    taskId: job.taskId,
    sid: job.sid,
    links: [job.links.taskPage, job.links.taskSource, job.links.preview, job.links.video],
  });

const normalizeRelayContent = (content: string, job: RelayJob) =>
  normalize(content, {
    chatId: '-',
    created: '-',
    taskId: job.taskId,
    sid: job.sid,
    links: [job.links.taskPage, job.links.taskSource, job.links.preview, job.links.video],
  });

/** Standard SSE reading, for every framing but the seed's pretty one. */
function sseContent(text: string): { content: string; data: string[] } {
  const data: string[] = [];
  const parser = createParser({ onEvent: (e) => data.push(e.data) });
  parser.feed(text);
  parser.reset({ consume: true });
  let content = '';
  for (const d of data) {
    if (d === '[DONE]') continue;
    try {
      content += (JSON.parse(d) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '';
    } catch {
      // malformed events are skipped, as a tolerant client would
    }
  }
  return { content, data };
}

/** The seed's pretty framing: events split on blank lines, `data: ` then multi-line JSON. */
function prettyContent(text: string): string {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: {'))
    .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]!.delta.content ?? '')
    .join('');
}

const FIXTURE_CONTENT = normalizeFixture(prettyContent(FIXTURE));

describe('seed scenario', () => {
  it('reproduces the seed stream byte for byte, with fresh ids and its own links', async () => {
    const { text, job } = await run('seed');
    expect(normalizeRelay(text, job)).toBe(normalizeFixture(FIXTURE));
    expect(text.split('\n\n').length).toBe(FIXTURE.split('\n\n').length);
    expect(text.endsWith('data: [DONE\n]\n')).toBe(true);
    expect(job.taskId).not.toBe('task_01k7e5w9z5f2d91pekrqy59rwc');
    expect(job.links.video).toBe(`${relay.url}/files/${job.taskId}.mp4`);
    expect(job.echoSid).toBe('s_68ec8accd80c8191ae1fc957af78caaa');
  });

  it('takes a couple of seconds at the default pace, the job clock matching the stream', async () => {
    relay.setScenario('seed');
    const started = Date.now();
    const text = await (await chat()).text();
    const job = relay.jobs.at(-1)!;
    expect(text).toContain('生成完成');
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(job.generatingAfterMs).toBeGreaterThan(0);
    expect(job.doneAfterMs).toBeGreaterThan(job.generatingAfterMs + 4 * 200);
  }, 10_000);

  it('echoes the last user prompt, and no sid on a first turn', async () => {
    const { text } = await run('seed', {
      model: 'sora-2-pro',
      stream: true,
      messages: [{ role: 'user', content: 'A cat, dancing 2 steps' }],
    });
    const content = prettyContent(text);
    const echo = JSON.parse(/```json\n([\s\S]*?)```/.exec(content)![1]!) as Record<string, unknown>;
    expect(echo).toEqual({ prompt: 'A cat, dancing 2 steps', orientation: 'portrait' });
    expect(text).toContain('"model": "sora-2-pro"');
  });

  it('sends each progress step as its own chunk, with a visible gap', async () => {
    relay.setScenario({ name: 'compact', delayMs: 1, progressDelayMs: 150 });
    const res = await chat();
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const seen: { step: string; at: number }[] = [];
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (const step of ['36..', '44..', '61..', '69..', '81..']) {
        if (!seen.some((s) => s.step === step) && buffer.includes(`${step}"`)) seen.push({ step, at: Date.now() });
      }
    }
    expect(seen.map((s) => s.step)).toEqual(['36..', '44..', '61..', '69..', '81..']);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.at - seen[i - 1]!.at).toBeGreaterThanOrEqual(100);
  });
});

describe('framings', () => {
  it.each(['compact', 'crlf', 'nospace', 'keepalive-comments', 'junk-lines', 'split-utf8'] as const)(
    '%s carries the seed content',
    async (name) => {
      const { text, job } = await run(name);
      const { content, data } = sseContent(text);
      expect(normalizeRelayContent(content, job)).toBe(FIXTURE_CONTENT);
      expect(data.at(-1)).toBe('[DONE]');
    },
  );

  it('lays out each framing as named', async () => {
    expect((await run('crlf')).text.replace(/\r\n/g, '')).not.toContain('\n');
    expect((await run('nospace')).text).toMatch(/^data:\{/);
    expect((await run('keepalive-comments')).text).toContain(': keep-alive\n\n');
    expect((await run('junk-lines')).text).toMatch(/^\d{10}$/m);
    expect((await run('compact')).text.split('\n\n')[0]).not.toContain('\n');
  });

  it('split-utf8 cuts writes inside multi-byte characters', async () => {
    relay.setScenario({ name: 'split-utf8', delayMs: 3, progressDelayMs: 3 });
    const res = await chat();
    const reader = res.body!.getReader();
    let brokenChunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(value);
      } catch {
        brokenChunks++;
      }
    }
    expect(brokenChunks).toBeGreaterThan(5);
  });
});

describe('report variants', () => {
  const job = () => relay.jobs.at(-1)!;
  it.each<[ScenarioName, (content: string) => void]>([
    [
      'english',
      (c) => expect(c).toMatch(/> Task ID: `task_\w+`[\s\S]*> Queuing\.\.\.[\s\S]*Progress 36\.\.44[\s\S]*Generating Complete ✅/),
    ],
    ['real-links', (c) => expect(c).toContain(`![webp](${job().links.preview})\n\n[在线播放▶️](${job().links.video})`)],
    ['sid-backticks', (c) => expect(c).toContain(`> sid: \`${job().sid}\``)],
    [
      'landscape-extra',
      (c) =>
        expect(JSON.parse(/```json\n([\s\S]*?)```/.exec(c)![1]!)).toMatchObject({
          orientation: 'landscape',
          duration: 15,
          size: '1280x720',
          sid: 's_68ec8accd80c8191ae1fc957af78caaa',
        }),
    ],
    ['fail-plain', (c) => expect(c).toMatch(/进度 36\.\.44\.\.\n\n生成失败$/)],
    ['fail-reason', (c) => expect(c).toMatch(/\n生成失败: upstream returned[^\n]*\n```json\n\{[\s\S]*"error"[\s\S]*```\n$/)],
    ['fail-english', (c) => expect(c).toMatch(/\n\nGeneration failed: .+$/)],
    ['policy', (c) => expect(c).toMatch(/> 排队中\.{5}\n> 生成中\.\n\n❌ This content may violate our content policies\.$/)],
    ['html-inject', (c) => expect(c).toMatch(/<img src=x onerror=alert\(1\)>[\s\S]*\[视频文件\]\(javascript:alert\(1\)\)$/)],
  ])('%s', async (name, check) => {
    const { text } = await run(name);
    const { content } = sseContent(text);
    check(content);
    const failed = name.startsWith('fail') || name === 'policy';
    expect(content.includes(`sid: `)).toBe(!failed);
    expect(job().outcome).toBe(failed ? 'failed' : 'completed');
  });

  it('no-source leaves the task source link out', async () => {
    const { content } = sseContent((await run({ name: 'compact', noSource: true })).text);
    expect(content).toContain(`>[数据预览(示例)](${relay.url}/tasks/`);
    expect(content).not.toContain('原始数据');
  });

  it('big streams about 5 MB', async () => {
    const { content } = sseContent((await run('big')).text);
    expect(content.length).toBeGreaterThan(4_900_000);
    expect(content).toContain('> 生成完成 ✅');
  });
});

describe('faults', () => {
  it('http-error maps status, JSON or text body, message and Retry-After', async () => {
    relay.setScenario({ name: 'http-error', status: 429, retryAfter: 20 });
    let res = await chat();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('20');
    expect(((await res.json()) as { error: { message: string; code: string } }).error).toMatchObject({
      code: 'rate_limit_exceeded',
      message: expect.stringMatching(/rate limit/i) as string,
    });

    relay.setScenario({ name: 'http-error', status: 503, body: 'text', message: 'upstream overloaded' });
    res = await chat();
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('upstream overloaded');

    for (const status of [400, 401, 403, 404, 500]) {
      relay.setScenario({ name: 'http-error', status });
      res = await chat();
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { message: string } }).error.message.length).toBeGreaterThan(5);
    }
    expect(relay.jobs).toHaveLength(0);
  });

  it('stream-error sends an error event mid-stream and ends', async () => {
    const { text } = await run('stream-error');
    const { data, content } = sseContent(text);
    expect(JSON.parse(data.at(-1)!)).toMatchObject({ error: { message: expect.any(String) as string, type: 'upstream_error' } });
    expect(content).toMatch(/进度 36\.\.44\.\.$/);
  });

  it('no-done ends after the stop chunk; malformed keeps the good events intact', async () => {
    expect(sseContent((await run('no-done')).text).data.at(-1)).toContain('"finish_reason":"stop"');
    const { text, job } = await run('malformed');
    expect(text).toContain('data: not json at all\n\n');
    const { content } = sseContent(text);
    expect(normalizeRelayContent(content, job)).toBe(FIXTURE_CONTENT);
  });

  it('open-after-stop sends the whole answer and its finish_reason, then holds the socket open; the client ends it after the grace', async () => {
    relay.setScenario({ name: 'open-after-stop', slow: 0 });
    let content = '';
    // Without the grace this would wait for the 60 s stall timeout (and the test time out).
    for await (const piece of streamChat({
      baseUrl: relay.url,
      apiKey: KEY,
      model: 'sora-2',
      messages: SEED_REQUEST.messages as ChatMessage[],
      finishGraceMs: 300,
      stallTimeoutMs: 60_000,
    }))
      content += piece.content ?? '';
    expect(parseTaskReport(content)).toMatchObject({ phase: 'completed', videoUrl: relay.jobs.at(-1)!.links.video });
    await expect.poll(() => relay.openStreams).toBe(0);
  });

  it('drop destroys the socket mid-stream', async () => {
    relay.setScenario({ name: 'drop', slow: 0 });
    const res = await chat();
    await expect(res.text()).rejects.toThrow();
    await expect.poll(() => relay.openStreams).toBe(0);
  });

  it('stall keeps the socket open and silent; never sends no headers', async () => {
    relay.setScenario({ name: 'stall', slow: 0 });
    const stalled = new AbortController();
    const res = await chat(SEED_REQUEST, { signal: stalled.signal });
    const reader = res.body!.getReader();
    let text = '';
    const readFor = async (ms: number) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
        if (!next || next.done) return;
        text += new TextDecoder().decode(next.value);
      }
    };
    await readFor(300);
    expect(text).toContain('44..');
    expect(text).not.toContain('61..');
    expect(relay.openStreams).toBe(1);

    relay.setScenario('never');
    const silent = new AbortController();
    const pending = chat(SEED_REQUEST, { signal: silent.signal });
    const outcome = await Promise.race([pending.then(() => 'answered'), new Promise((r) => setTimeout(() => r('silent'), 300))]);
    expect(outcome).toBe('silent');
    expect(relay.openStreams).toBe(2);
    expect(relay.maxOpenStreams).toBe(2);
    stalled.abort();
    silent.abort();
    await pending.catch(() => undefined);
    await expect.poll(() => relay.openStreams).toBe(0);
  });

  it('close() cuts stalled and never-answered streams instead of hanging', async () => {
    const other = await startRelay({ scenario: { name: 'stall', slow: 0 } });
    other.enqueue('stall', 'never');
    const post = () =>
      fetch(`${other.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}` },
        body: JSON.stringify(SEED_REQUEST),
      });
    const stalled = await post();
    const silent = post().catch((err: unknown) => err);
    await expect.poll(() => other.openStreams).toBe(2);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(stalled.text()).rejects.toThrow();
    expect(await silent).toBeInstanceOf(Error);
  });
});

describe('API surface', () => {
  it('rejects a wrong or missing key with an OpenAI-style 401', async () => {
    const res = await chat(SEED_REQUEST, {}, 'sk-wrong');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    const bare = await fetch(`${relay.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(SEED_REQUEST) });
    expect(bare.status).toBe(401);
    expect((await fetch(`${relay.url}/v1/models`)).status).toBe(401);
    expect(relay.jobs).toHaveLength(0);
  });

  it('lists the models', async () => {
    const res = await fetch(`${relay.url}/v1/models`, { headers: { Authorization: `Bearer ${KEY}` } });
    const list = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    expect(list.object).toBe('list');
    expect(list.data.map((m) => m.id)).toEqual(['sora-2', 'sora-2-pro']);
  });

  it('answers 404 for an unknown model and 400 for a bad body', async () => {
    expect((await chat({ ...SEED_REQUEST, model: 'gpt-x' })).status).toBe(404);
    expect((await chat({ model: 'sora-2', stream: true })).status).toBe(400);
  });

  it('records requests with lower-cased headers and the parsed body', async () => {
    await run('compact');
    const [req] = relay.chatRequests();
    expect(req).toMatchObject({ method: 'POST', path: '/v1/chat/completions', kind: 'chat', scenario: 'compact', body: SEED_REQUEST });
    expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.time).toBeGreaterThan(0);
  });

  it('lets a test reject a request by its body', async () => {
    relay.onChatRequest = (body) => ((body.messages as unknown[]).length === 3 ? undefined : 'expected the full history');
    expect((await chat()).status).toBe(200);
    const res = await chat({ ...SEED_REQUEST, messages: SEED_REQUEST.messages.slice(2) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('expected the full history');
  });

  it('takes queued scenarios in order, then the default', async () => {
    relay.setScenario({ name: 'compact', slow: 0 });
    relay.enqueue({ name: 'english', slow: 0 }, { name: 'http-error', status: 402 });
    expect(sseContent(await (await chat()).text()).content).toContain('Queuing');
    expect((await chat()).status).toBe(402);
    expect(sseContent(await (await chat()).text()).content).toContain('排队中');
    expect(relay.chatRequests().map((r) => r.scenario)).toEqual(['english', 'http-error', 'compact']);
  });

  it('is controlled over HTTP too', async () => {
    const post = (path: string, body: unknown) => fetch(`${relay.url}/__relay/${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post('scenario', { name: 'english', slow: 0, 'no-source': true })).status).toBe(200);
    expect(relay.currentScenario).toMatchObject({ name: 'english', noSource: true });
    expect((await post('scenario', { name: 'nope' })).status).toBe(400);
    await post('enqueue', [{ name: 'http-error', status: 418 }]);
    expect((await chat()).status).toBe(418);
    const requests = (await (await fetch(`${relay.url}/__relay/requests`)).json()) as { path: string }[];
    expect(requests.map((r) => r.path)).toEqual(['/v1/chat/completions']);
    await post('reset', {});
    expect(relay.requests).toHaveLength(0);
    expect(relay.currentScenario.name).toBe('seed');
  });

  it('answers CORS preflights', async () => {
    const res = await fetch(`${relay.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'chrome-extension://abc',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
  });
});

describe('media and task pages', () => {
  it('serves the mp4 with Range support', async () => {
    const full = await fetch(`${relay.url}/files/task_x.mp4`);
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await full.arrayBuffer());
    expect(bytes.equals(MP4)).toBe(true);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const part = await fetch(`${relay.url}/files/task_x.mp4`, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${MP4.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(MP4.subarray(100, 200))).toBe(true);
    const tail = await fetch(`${relay.url}/files/task_x.mp4`, { headers: { Range: 'bytes=-10' } });
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    expect((await fetch(`${relay.url}/files/task_x.mp4`, { headers: { Range: `bytes=${MP4.length}-` } })).status).toBe(416);
  });

  it('serves preview images', async () => {
    const png = await fetch(`${relay.url}/files/task_x.png`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString('latin1'),
    ).toBe('PNG');
    const webp = await fetch(`${relay.url}/files/task_x.webp`);
    expect(webp.headers.get('content-type')).toBe('image/webp');
    expect(
      Buffer.from(await webp.arrayBuffer())
        .subarray(8, 12)
        .toString('latin1'),
    ).toBe('WEBP');
  });

  it('follows the job on the task source, which outlives its stream', async () => {
    relay.setScenario({ name: 'drop', delayMs: 10, progressDelayMs: 10 });
    const res = await chat();
    const job = relay.jobs.at(-1)!;
    const source = async () => (await (await fetch(job.links.taskSource)).json()) as Record<string, unknown>;
    expect(await source()).toMatchObject({ status: 'queued', url: null, data: null, failure_reason: null });
    await res.text().catch(() => undefined);
    await new Promise((r) => setTimeout(r, Math.max(0, job.startedAt + job.doneAfterMs - Date.now()) + 20));
    expect(await source()).toEqual({
      id: job.taskId,
      status: 'completed',
      progress: 100,
      url: job.links.video,
      gif_url: job.links.preview,
      data: { url: job.links.video },
      failure_reason: null,
    });
    const page = await fetch(job.links.taskPage);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain(job.taskId);
  });

  it('reports a failed job with its reason', async () => {
    const { job } = await run({ name: 'fail-reason', reason: 'quota of upstream exhausted' });
    await new Promise((r) => setTimeout(r, 5));
    expect(await (await fetch(job.links.taskSource)).json()).toMatchObject({
      status: 'failed',
      url: null,
      failure_reason: 'quota of upstream exhausted',
    });
  });

  it('notes any Authorization header sent outside the API', async () => {
    await fetch(`${relay.url}/files/a.mp4`);
    expect(relay.authLeaks()).toHaveLength(0);
    await fetch(`${relay.url}/files/a.mp4`, { headers: { Authorization: `Bearer ${KEY}` } });
    expect(relay.authLeaks().map((r) => r.path)).toEqual(['/files/a.mp4']);
  });
});
