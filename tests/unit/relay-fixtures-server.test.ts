import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BASE, RELAY_FIXTURES, fixtureId, fixtureText, materialize, relayFixture, type RelayFixture } from '../fixtures/relays/index';
import { llmTokens, pyDumps } from '../fixtures/relays/wire';
import {
  DEFAULT_API_KEY,
  DEFAULT_MODELS,
  FIXTURE_BUDGET_MS,
  FIXTURE_SCENARIO_NAMES,
  fixturePlan,
  startRelay,
  type Relay,
} from '../relay/index';

const MEDIA = new URL('../fixtures/media/', import.meta.url);
const MP4 = readFileSync(new URL('sample.mp4', MEDIA));
const IMAGES: Record<string, Buffer> = {
  'image/jpeg': readFileSync(new URL('preview.jpg', MEDIA)),
  'image/png': readFileSync(new URL('preview.png', MEDIA)),
  'image/webp': readFileSync(new URL('preview.webp', MEDIA)),
};

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay({ models: [...DEFAULT_MODELS, ...new Set(RELAY_FIXTURES.map((f) => f.model))] });
});
afterAll(async () => {
  await relay.close();
});
beforeEach(() => relay.reset());

const scenarioOf = (f: RelayFixture) => `relay:${fixtureId(f)}`;

function post(model: string, key: string | null = DEFAULT_API_KEY): Promise<Response> {
  return fetch(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...(key !== null && { Authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'a ginger cat turns its head' }] }),
  });
}

/** The media links a fixture's answer holds, as a browser would resolve them. */
function mediaLinks(f: RelayFixture): string[] {
  const m = materialize(f, relay.url);
  return [m.expect.videoUrl, m.expect.previewUrl].filter((u): u is string => u !== undefined).map((u) => new URL(u, relay.url).href);
}

describe('the fixtures themselves', () => {
  it('have unique names, one auth answer, a success and a failure per family', () => {
    expect(new Set(RELAY_FIXTURES.map(fixtureId)).size).toBe(RELAY_FIXTURES.length);
    for (const family of ['sora2api', 'flow2api', 'grok2api', 'gpt4free'] as const) {
      const mine = RELAY_FIXTURES.filter((f) => f.family === family);
      expect(mine.some((f) => f.expect.outcome === 'completed')).toBe(true);
      expect(mine.filter((f) => f.expect.outcome === 'failed' && f.status === 200).length).toBeGreaterThanOrEqual(2);
      expect(relayFixture(`${family}/auth`).status).toBeGreaterThanOrEqual(400);
    }
  });

  it.each(RELAY_FIXTURES.map((f) => [fixtureId(f), f] as const))('%s cites its source and holds what it expects', (_id, f) => {
    expect(f.source.commit).toMatch(/^[0-9a-f]{40}$/);
    for (const file of f.source.files) expect(file).toMatch(/^[\w./-]+:\d+(-\d+)?(,\d+(-\d+)?)*( .*)?$/);
    const text = fixtureText(f);
    // What the test expects is in the answer as the relay wrote it (JSON-escaped or not).
    for (const url of [f.expect.videoUrl, f.expect.previewUrl]) {
      if (url === undefined) continue;
      const asSent =
        url.startsWith(`${BASE}/v1/files/`) && f.family === 'grok2api' && f.name.startsWith('relative') ? url.slice(BASE.length) : url;
      expect(text.includes(asSent) || text.includes(JSON.stringify(asSent).slice(1, -1))).toBe(true);
    }
    if (f.expect.failureIncludes) {
      const words = f.expect.failureIncludes;
      expect([words, JSON.stringify(words).slice(1, -1), pyDumps(words).slice(1, -1)].some((w) => text.includes(w))).toBe(true);
    }
    for (const c of f.chunks) expect(c.delayMs).toBeGreaterThanOrEqual(0);
  });

  it('a streamed answer is events ending in a blank line, each data: line JSON or [DONE]', () => {
    for (const f of RELAY_FIXTURES.filter((x) => x.status === 200)) {
      for (const c of f.chunks) {
        if (f.family === 'sora2api' && c.text === 'data: [DONE]\\n\\n') continue; // cf-429's literal backslashes, on purpose
        expect(c.text.endsWith('\n\n'), `${fixtureId(f)}: ${c.text.slice(0, 60)}`).toBe(true);
        for (const line of c.text.split('\n').filter(Boolean)) {
          if (line.startsWith('event: ')) continue;
          expect(line.startsWith('data: ')).toBe(true);
          const data = line.slice(6);
          if (data !== '[DONE]') expect(() => JSON.parse(data) as unknown).not.toThrow();
        }
      }
    }
  });

  it('writes Python json.dumps bytes where the relay is Python (escapes, separators)', () => {
    expect(pyDumps({ a: '❌ 生成失败', b: null, c: [1, 'x\n"'] })).toBe(
      '{"a": "\\u274c \\u751f\\u6210\\u5931\\u8d25", "b": null, "c": [1, "x\\n\\""]}',
    );
    expect(pyDumps({ a: '✨ 视频' }, { ensureAscii: false })).toBe('{"a": "✨ 视频"}');
    expect(pyDumps('\u007f😀')).toBe('"\\u007f\\ud83d\\ude00"');
    // sora2api escapes, flow2api does not
    expect(fixtureText(relayFixture('sora2api/policy'))).toContain('\\u274c \\u751f\\u6210\\u5931\\u8d25: This content');
    expect(fixtureText(relayFixture('flow2api/failure'))).toContain('"reasoning_content": "错误: 视频生成失败');
  });

  it('cuts model text into tokens that put it back together, {{BASE}} whole', () => {
    const text = fixtureText(relayFixture('gpt4free/runway-success'));
    expect(text.match(/"content":"\{\{BASE\}\}"/g)).toHaveLength(1);
    const sample = '```json\n{\n  "image_url": "{{BASE}}/a.png", "n": 12345\n}\n```';
    expect(llmTokens(sample).join('')).toBe(sample);
  });

  it('materialize fills in every {{BASE}} and nothing else', () => {
    for (const f of RELAY_FIXTURES) {
      const m = materialize(f, 'http://127.0.0.1:9/');
      expect(fixtureText(m)).not.toContain(BASE);
      expect(fixtureText(m).length).toBe(
        fixtureText(f).length + (fixtureText(f).split(BASE).length - 1) * ('http://127.0.0.1:9'.length - BASE.length),
      );
    }
  });

  it("the relays' pacing fits the budget by default and keeps its proportions", () => {
    for (const f of RELAY_FIXTURES) {
      const plan = fixturePlan(f);
      const total = plan.reduce((s, c) => s + c.delayMs, 0);
      expect(total).toBeLessThanOrEqual(FIXTURE_BUDGET_MS + plan.length);
      expect(plan.map((c) => c.text)).toEqual(f.chunks.map((c) => c.text));
      expect(fixturePlan(f, 0).every((c) => c.delayMs === 0)).toBe(true);
    }
    // sora2api's 30 s between progress lines stay the longest gaps
    const plan = fixturePlan(relayFixture('sora2api/success'));
    expect(plan[1]!.delayMs).toBeGreaterThan(plan[6]!.delayMs * 100);
  });
});

describe('mock relay serves each real relay answer', () => {
  it.each(RELAY_FIXTURES.map((f) => [scenarioOf(f), f] as const))('%s byte for byte, and its media', async (name, f) => {
    relay.setScenario({ name: name as `relay:${RelayFixture['family']}/${string}`, slow: 0 });
    const res = await post(f.model);
    expect(res.status).toBe(f.status);
    for (const [header, value] of Object.entries(f.headers)) expect(res.headers.get(header)).toBe(value);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(Buffer.from(fixtureText(materialize(f, relay.url)), 'utf8'))).toBe(true);
    expect(relay.chatRequests().map((r) => r.scenario)).toEqual([name]);

    for (const link of mediaLinks(f)) {
      const media = await fetch(link);
      expect(media.status, link).toBe(200);
      const bytes = Buffer.from(await media.arrayBuffer());
      const type = media.headers.get('content-type')!;
      if (link === mediaLinks(f)[0]) {
        expect(type).toBe('video/mp4');
        expect(bytes.equals(MP4)).toBe(true);
      } else {
        expect(IMAGES[type], type).toBeDefined();
        expect(bytes.equals(IMAGES[type]!)).toBe(true);
      }
    }
    const media = relay.requests.filter((r) => r.kind === 'media');
    expect(media).toHaveLength(mediaLinks(f).length);
    expect(relay.authLeaks()).toEqual([]);
  });

  it('lists every fixture as a scenario, and takes them over HTTP too', async () => {
    expect(FIXTURE_SCENARIO_NAMES).toEqual(RELAY_FIXTURES.map(scenarioOf));
    const set = await fetch(`${relay.url}/__relay/scenario`, {
      method: 'POST',
      body: JSON.stringify({ name: 'relay:flow2api/success', slow: 0 }),
    });
    expect(set.status).toBe(200);
    expect(await (await post('veo_3_1_t2v_fast_landscape')).text()).toContain("data-media-id='");
    const typo = await fetch(`${relay.url}/__relay/scenario`, { method: 'POST', body: JSON.stringify({ name: 'relay:flow2api/nope' }) });
    expect(typo.status).toBe(400);
  });

  it('streams the writes over time rather than all at once', async () => {
    relay.setScenario({ name: 'relay:flow2api/success', slow: 0.2 });
    const reader = (await post('veo_3_1_t2v_fast_landscape')).body!.getReader();
    const pieces: string[] = [];
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(decoder.decode(value, { stream: true }));
    }
    expect(pieces.join('')).toBe(fixtureText(materialize(relayFixture('flow2api/success'), relay.url)));
    expect(pieces.length).toBeGreaterThan(3);
  });

  it("turns a wrong key away in the relay's own words, and records no job", async () => {
    for (const [family, model, status, body] of [
      ['sora2api', 'sora2-landscape-10s', 401, '{"detail":"Invalid API key"}'],
      ['flow2api', 'veo_3_1_t2v_fast_landscape', 401, '{"detail":"Invalid API key"}'],
      ['grok2api', 'grok-imagine-video', 403, '{"detail":"Invalid API key."}'],
      ['gpt4free', 'runway-video', 401, '{"error":{"message":"invalid api key"}}'],
    ] as const) {
      relay.setScenario({
        name: scenarioOf(
          RELAY_FIXTURES.find((f) => f.family === family && f.expect.outcome === 'completed')!,
        ) as `relay:${typeof family}/${string}`,
      });
      const res = await post(model, 'sk-wrong');
      expect(res.status).toBe(status);
      expect(await res.text()).toBe(body);
    }
    relay.setScenario({ name: 'relay:sora2api/success' });
    const none = await post('sora2-landscape-10s', null);
    expect(none.status).toBe(403);
    expect(await none.json()).toEqual({ detail: 'Not authenticated' });
    expect(relay.jobs).toHaveLength(0);
  });

  it("serves grok2api's /v1/files/video only for ids of its shape, and media without a key", async () => {
    expect((await fetch(`${relay.url}/v1/files/video?id=not-hex!`)).status).toBe(400);
    expect((await fetch(`${relay.url}/v1/files/video`)).status).toBe(400);
    const ok = await fetch(`${relay.url}/v1/files/video?id=2e637834d83c9368436d81bf75297bd8`, { headers: { Range: 'bytes=0-99' } });
    expect(ok.status).toBe(206);
    expect((await ok.arrayBuffer()).byteLength).toBe(100);
    await fetch(`${relay.url}/video/7c1e9a52-3b4d-4f6e-8a9b-0c1d2e3f4a5b?Expires=1&KeyName=k&Signature=s`, {
      headers: { Authorization: `Bearer ${DEFAULT_API_KEY}` },
    });
    expect(relay.authLeaks().map((r) => r.path)).toEqual(['/video/7c1e9a52-3b4d-4f6e-8a9b-0c1d2e3f4a5b']);
    expect((await fetch(`${relay.url}/video/not-a-uuid`)).status).toBe(404);
  });
});
