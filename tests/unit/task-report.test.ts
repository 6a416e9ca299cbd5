import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTaskReport, type ReportPhase, type TaskSnapshot } from '../../utils/chat/report-parser';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const REPORTS = `${FIXTURES}reports/`;

function report(name: string): string {
  return readFileSync(`${REPORTS}${name}`, 'utf8');
}

/**
 * The seed's example stream as the seed prints it: events separated by blank lines, each a
 * `data:` line whose pretty-printed JSON continues on the following lines, ending with a
 * `data: [DONE` / `]` split across two lines. Returns the concatenated `delta.content`.
 */
function contentOfSeedStream(stream: string): string {
  let content = '';
  for (const event of stream.replace(/\r\n/g, '\n').split(/\n{2,}/)) {
    const text = event.trim();
    if (!text.startsWith('data:')) continue;
    const payload = text.slice('data:'.length).trim();
    if (payload.replace(/\s+/g, '') === '[DONE]') break;
    const chunk = JSON.parse(payload) as { choices?: { delta?: { content?: unknown } }[] };
    const piece = chunk.choices?.[0]?.delta?.content;
    if (typeof piece === 'string') content += piece;
  }
  return content;
}

const SEED_ECHO_SID = 's_68ec8accd80c8191ae1fc957af78caaa';
const SEED_RESULT_SID = 's_68eca3f141808191b1fd30fea1b731bd';

const FOX_PORTRAIT = { prompt: '一只在雪地里奔跑的狐狸', orientation: 'portrait' };

const cases: [fixture: string, expected: TaskSnapshot][] = [
  [
    'seed-stream.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k7e5w9z5f2d91pekrqy59rwc',
      sid: SEED_RESULT_SID,
      echo: { prompt: '让牛的头上顶着光圈,马的脚下踩着祥云', orientation: 'portrait', sid: SEED_ECHO_SID },
      videoUrl: 'https://example.com/?video-file=2',
      previewUrl: 'https://example.com/?video-preview=2',
      taskPageUrl: 'https://example.com/?task-preview=2',
      taskSourceUrl: 'https://example.com/?task-source=2',
    },
  ],
  [
    'seed-request-example.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k7dzptgwf2z87wj2c3t36qk0',
      sid: SEED_ECHO_SID,
      echo: { prompt: '生成一段高清的,牛马跳舞的视频', orientation: 'portrait' },
      videoUrl: 'https://example.com/?video-file=1',
      previewUrl: 'https://example.com/?video-preview=1',
      taskPageUrl: 'https://example.com/?task-preview=1',
      taskSourceUrl: 'https://example.com/?task-source=1',
    },
  ],
  [
    'relay-webp-image-and-play-link.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8a0relaywebp000000000',
      sid: 's_68f0aa11bb22cc33dd44ee55ff667788',
      echo: { prompt: 'a red fox running through snow', orientation: 'portrait' },
      videoUrl: 'https://cdn.example.net/videos/abc123/x.mp4',
      previewUrl: 'https://cdn.example.net/previews/abc123/p.webp',
    },
  ],
  [
    'english-labels.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8en9l1sh0000000000000',
      sid: 's_68f0e1e1e1e1e1e1e1e1e1e1e1e1e1e1',
      echo: { prompt: 'A lighthouse at dusk, waves crashing', orientation: 'portrait' },
      // "Preview data" is the task page, not the preview; "Source" is the task source.
      taskPageUrl: 'https://relay.example.org/tasks/en1',
      taskSourceUrl: 'https://relay.example.org/tasks/en1.json',
      previewUrl: 'https://relay.example.org/media/en1/thumb',
      videoUrl: 'https://relay.example.org/media/en1/file',
    },
  ],
  [
    'sid-in-backticks.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8b7k5t1ck500000000000',
      sid: 's_68f0bbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      echo: { prompt: '生成一只在月球上弹吉他的猫', orientation: 'portrait' },
      videoUrl: 'https://cdn.example.com/b/video.mp4',
      previewUrl: 'https://cdn.example.com/b/preview.png',
    },
  ],
  [
    'echo-extra-fields.md',
    {
      phase: 'generating',
      progress: 20,
      taskId: 'task_01k8c0extraf1e1d500000000',
      echo: {
        prompt: '海边日落，镜头缓慢推进',
        orientation: 'portrait',
        duration: 15,
        size: 'large',
        model: 'sora-2-pro',
        remix: false,
      },
    },
  ],
  [
    'landscape.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8d1andscape00000000000',
      sid: 's_68f0d1d1d1d1d1d1d1d1d1d1d1d1d1d1',
      echo: { prompt: 'city skyline timelapse, wide shot', orientation: 'landscape' },
      videoUrl: 'https://cdn.example.com/l/clip.mov',
      previewUrl: 'https://cdn.example.com/l/cover.jpeg',
    },
  ],
  [
    'failed-plain.md',
    {
      phase: 'failed',
      progress: 18,
      taskId: 'task_01k8f0a11ed00000000000000',
      echo: { prompt: '生成一段跳舞的熊猫', orientation: 'portrait' },
      failure: '生成失败',
    },
  ],
  [
    'failed-reason-upstream-json.md',
    {
      phase: 'failed',
      taskId: 'task_01k8f1reas0n0000000000000',
      echo: { prompt: '一辆车在雨夜的街道上飞驰', orientation: 'landscape' },
      failure: '生成失败: 上游服务返回错误 — Upstream returned 502: model overloaded, please retry later',
    },
  ],
  [
    'failed-english.md',
    {
      phase: 'failed',
      progress: 41,
      taskId: 'task_01k8f2eng1sh0000000000000',
      echo: { prompt: 'A dog surfing a big wave', orientation: 'portrait' },
      failure: 'Generation failed: the video could not be rendered.',
    },
  ],
  [
    'error-english.md',
    {
      phase: 'failed',
      echo: { prompt: 'Timelapse of clouds over mountains', orientation: 'landscape' },
      failure: 'error: insufficient quota for sora-2-pro (code 4031)',
    },
  ],
  [
    'failed-content-policy.md',
    {
      phase: 'failed',
      taskId: 'task_01k8f3p0l1cy0000000000000',
      echo: { prompt: 'A famous actor doing a stunt', orientation: 'portrait' },
      failure: 'This request may violate our content policy (likeness of a real person).',
    },
  ],
  [
    'failed-content-policy-zh.md',
    {
      phase: 'failed',
      taskId: 'task_01k8f4p0l1cyzh00000000000',
      echo: { prompt: '某明星在街头跳舞', orientation: 'portrait' },
      failure: '提示词涉及内容违规，未通过审核，请修改后重试',
    },
  ],
  [
    'failed-cross-mark.md',
    {
      phase: 'failed',
      progress: 7,
      taskId: 'task_01k8f5cr0ss00000000000000',
      echo: { prompt: '一个宇航员在海底散步', orientation: 'portrait' },
      failure: '视频生成超时，本次不扣费',
    },
  ],
  ['failed-error-block-only.md', { phase: 'failed', failure: 'Your prompt was flagged by our safety system' }],
  ['partial-echo-only.md', { echo: FOX_PORTRAIT }],
  ['partial-echo-unterminated.md', {}],
  ['partial-echo-unterminated-parseable.md', { echo: { prompt: '一只在雪地里奔跑的狐狸', orientation: 'landscape' } }],
  [
    'partial-queued.md',
    {
      phase: 'queued',
      taskId: 'task_01k8p0queued0000000000000',
      echo: FOX_PORTRAIT,
      taskPageUrl: 'https://relay.example.com/t/p0',
      taskSourceUrl: 'https://relay.example.com/t/p0/raw',
    },
  ],
  [
    // Ends on "进度 36..44..6": the trailing 6 may still become 61, so 44 is the progress.
    'partial-generating.md',
    { phase: 'generating', progress: 44, taskId: 'task_01k8p1gen0000000000000000', echo: FOX_PORTRAIT },
  ],
  [
    'partial-completed-no-links.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8p2d0ne000000000000000',
      sid: 's_68f0p2p2p2p2p2p2p2p2p2p2p2p2p2p2',
      echo: FOX_PORTRAIT,
    },
  ],
  [
    // javascript:, data:, relative and protocol-relative links are never returned, and an
    // unsafe "video" does not make the job completed.
    'unsafe-links.md',
    { phase: 'generating', progress: 90, taskId: 'task_01k8u0nsafe00000000000000', echo: FOX_PORTRAIT },
  ],
  [
    'links-with-query-strings.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8q0uery000000000000000',
      sid: 's_68f0q0q0q0q0q0q0q0q0q0q0q0q0q0q0',
      echo: { prompt: 'a paper boat on a rainy street', orientation: 'portrait' },
      videoUrl: 'https://cdn.example.com/media/q0/out.mp4?token=eyJhbGciOi.J9&expires=1760400000#t=0',
      previewUrl: 'https://cdn.example.com/media/q0/cover.JPG?X-Amz-Signature=abc123&X-Amz-Expires=3600',
      taskPageUrl: 'https://relay.example.com/task?id=q0&lang=en',
      taskSourceUrl: 'https://relay.example.com/task?id=q0&format=json',
    },
  ],
  [
    'remix-new-sid.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8r3m1x00000000000000000',
      sid: 's_68f0bbbb000000000000000000000002',
      echo: { prompt: '让猫戴上一顶红色的帽子', orientation: 'portrait', sid: 's_68f0aaaa000000000000000000000001' },
      videoUrl: 'https://cdn.example.com/r3/v.webm',
      previewUrl: 'https://cdn.example.com/r3/p.gif',
      taskPageUrl: 'https://relay.example.com/t/r3',
      taskSourceUrl: 'https://relay.example.com/t/r3/raw',
    },
  ],
  [
    'echo-prompt-with-failure-words.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8e0err0rpr0mpt00000000',
      sid: 's_68f0e0e0e0e0e0e0e0e0e0e0e0e0e0e0',
      echo: {
        prompt: 'A robot reads "error: failed" on a screen ❌, then says 生成失败 and it violates no policy',
        orientation: 'portrait',
      },
      videoUrl: 'https://cdn.example.com/e0/v.mp4',
      previewUrl: 'https://cdn.example.com/e0/p.webp',
    },
  ],
  [
    'completed-then-error-word.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8z0n0echo000000000000',
      videoUrl: 'https://cdn.example.com/z0/v.mp4',
    },
  ],
  [
    'crlf-percent-progress.md',
    {
      phase: 'completed',
      progress: 100,
      taskId: 'task_01k8cr1f000000000000000000',
      sid: 's_68f0c0c0c0c0c0c0c0c0c0c0c0c0c0c0',
      echo: { prompt: 'CRLF relay', orientation: 'portrait' },
      videoUrl: 'https://cdn.example.com/c0/video.mp4',
    },
  ],
  ['echo-invalid-json.md', { phase: 'queued', taskId: 'task_01k8j0invalid0000000000000' }],
];

const RANK: Record<ReportPhase | 'none', number> = {
  none: 0,
  queued: 1,
  generating: 2,
  completed: 3,
  failed: 3,
};

describe('parseTaskReport: one fixture per relay variant', () => {
  it.each(cases)('%s', (fixture, expected) => {
    expect(parseTaskReport(report(fixture))).toEqual(expected);
  });

  it('has a table row for every fixture file', () => {
    const files = readdirSync(REPORTS)
      .filter((f) => f.endsWith('.md'))
      .sort();
    expect(cases.map(([f]) => f).sort()).toEqual(files);
  });
});

describe('parseTaskReport on the seed stream', () => {
  const seed = contentOfSeedStream(readFileSync(`${FIXTURES}seed-stream.txt`, 'utf8'));

  it('the committed fixture is the stream content, byte for byte', () => {
    expect(seed).toBe(report('seed-stream.md'));
    expect(seed.startsWith('```json\n{\n  "prompt": "让牛的头上顶着光圈')).toBe(true);
    expect(seed.endsWith('[视频文件(示例)](https://example.com/?video-file=2)')).toBe(true);
  });

  it('prefers the report sid (new video) over the echo sid (previous video)', () => {
    const snap = parseTaskReport(seed);
    expect(snap.sid).toBe(SEED_RESULT_SID);
    expect(snap.echo?.sid).toBe(SEED_ECHO_SID);
  });

  it('on every prefix: never throws, phase only moves forward, progress never decreases', () => {
    const phases: (ReportPhase | undefined)[] = [];
    let rank = 0;
    let progress = -1;
    for (let i = 0; i <= seed.length; i++) {
      const snap = parseTaskReport(seed.slice(0, i));
      const r = RANK[snap.phase ?? 'none'];
      expect(r, `phase at prefix ${i}`).toBeGreaterThanOrEqual(rank);
      rank = r;
      expect(snap.phase).not.toBe('failed');
      const p = snap.progress ?? -1;
      expect(p, `progress at prefix ${i}`).toBeGreaterThanOrEqual(progress);
      progress = p;
      if (i === 0 || phases[phases.length - 1] !== snap.phase) phases.push(snap.phase);
    }
    expect(phases).toEqual([undefined, 'queued', 'generating', 'completed']);
    expect(progress).toBe(100);
  });

  it('reports each progress number of the stream as it is completed', () => {
    const seen: number[] = [];
    for (let i = 0; i <= seed.length; i++) {
      const p = parseTaskReport(seed.slice(0, i)).progress;
      if (p !== undefined && seen[seen.length - 1] !== p) seen.push(p);
    }
    expect(seen).toEqual([36, 44, 61, 69, 81, 100]);
  });
});

describe('parseTaskReport on every prefix of every fixture', () => {
  it.each(cases.map(([f]) => f))('%s', (fixture) => {
    const text = report(fixture);
    let rank = 0;
    let terminal: ReportPhase | undefined;
    let progress = -1;
    for (let i = 0; i <= text.length; i++) {
      const snap = parseTaskReport(text.slice(0, i));
      const r = RANK[snap.phase ?? 'none'];
      expect(r).toBeGreaterThanOrEqual(rank);
      rank = r;
      if (terminal) expect(snap.phase).toBe(terminal);
      if (snap.phase === 'completed' || snap.phase === 'failed') terminal = snap.phase;
      const p = snap.progress ?? -1;
      expect(p).toBeGreaterThanOrEqual(progress);
      progress = p;
    }
  });
});

describe('parseTaskReport edge cases', () => {
  it('never throws on junk and returns nothing for text that says nothing', () => {
    for (const junk of ['', '\n\n', '```', '``', '```json', '> ', '[', '](', '![](', '```json\n{', 'hello']) {
      expect(parseTaskReport(junk)).toEqual({});
    }
  });

  it('keeps known echo fields only when they are strings', () => {
    const snap = parseTaskReport('```json\n{"prompt": 3, "orientation": null, "sid": ["x"], "n": 1}\n```\n');
    expect(snap).toEqual({ echo: { n: 1 } });
  });

  it('ignores an echo that is not an object', () => {
    expect(parseTaskReport('```json\n["a", "b"]\n```\n> 排队中\n')).toEqual({ phase: 'queued' });
  });

  it('clamps progress to 0..100 and reads "76%" lines', () => {
    expect(parseTaskReport('> Progress 140..\n').progress).toBe(100);
    expect(parseTaskReport('> 生成中 76%\n')).toEqual({ phase: 'generating', progress: 76 });
    expect(parseTaskReport('> 进度 45.5%\n')).toEqual({ phase: 'generating', progress: 45.5 });
  });

  it('the last non-terminal indication wins; the first terminal one stays', () => {
    expect(parseTaskReport('> 生成中.\n> 排队中...\n').phase).toBe('queued');
    expect(parseTaskReport('> 生成失败\n> 生成完成 ✅\n').phase).toBe('failed');
    expect(parseTaskReport('> 生成完成 ✅\n❌ 生成失败\n').phase).toBe('completed');
  });

  it('reads moderation wording (审核) as a failure, but not a review under way or passed', () => {
    expect(parseTaskReport('> 生成中.\n内容审核未通过\n')).toEqual({ phase: 'failed', failure: '内容审核未通过' });
    expect(parseTaskReport('> 生成中.\n触发审核\n')).toEqual({ phase: 'failed', failure: '触发审核' });
    expect(parseTaskReport('> 正在审核...\n> 生成中.\n')).toEqual({ phase: 'generating' });
    expect(parseTaskReport('> 审核中\n> 审核通过\n')).toEqual({});
  });

  it('a video link alone means completed', () => {
    expect(parseTaskReport('[在线播放](https://cdn.example.com/v/1)\n')).toEqual({
      phase: 'completed',
      progress: 100,
      videoUrl: 'https://cdn.example.com/v/1',
    });
  });

  it('a link still being written is neither returned nor read as words', () => {
    expect(parseTaskReport('> 生成中.\n[下载失败原因](https://x.example/a')).toEqual({ phase: 'generating' });
  });

  it('a failure with no words of its own gets a generic reason', () => {
    expect(parseTaskReport('> 生成中.\n❌\n')).toEqual({ phase: 'failed', failure: 'Generation failed' });
    // The relay's words beside an upstream error object with no message of its own.
    const beside = '生成失败\n```json\n{"error":{"code":"upstream_error"},"message":"Your prompt violates our content policy"}\n```\n';
    expect(parseTaskReport(beside).failure).toBe('生成失败 — Your prompt violates our content policy');
  });
});

describe('parseTaskReport on 1 MB hostile inputs', () => {
  const seed = report('seed-stream.md');

  it('a 1 MB prompt full of failure words inside the echo', () => {
    const prompt = 'error ❌ failed 生成失败 [a](javascript:x) `````'.repeat(24_000);
    const text = seed.replace('让牛的头上顶着光圈,马的脚下踩着祥云', prompt);
    expect(text.length).toBeGreaterThan(1_000_000);
    const snap = parseTaskReport(text);
    expect(snap).toEqual({ ...parseTaskReport(seed), echo: { ...parseTaskReport(seed).echo, prompt } });
  });

  it('1 MB of near-miss markdown, brackets, digits and backticks in the report', () => {
    const junk = [
      '['.repeat(200_000),
      '[a]('.repeat(50_000),
      '![x](http://' + 'a'.repeat(200_000),
      '> 进度 ' + '1..'.repeat(100_000),
      '`'.repeat(100_000),
    ].join('\n');
    const text = `${seed}\n${junk}\n`;
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(parseTaskReport(text)).toEqual(parseTaskReport(seed));
    const unterminated = '```json\n{"prompt": "' + 'x'.repeat(1_000_000);
    expect(parseTaskReport(unterminated)).toEqual({});
  });
});

describe('parseTaskReport on the shapes real relays send', () => {
  const BASE = 'https://relay.example.com/v1';

  it('reads progress and phase from the reasoning, the video from an ```html <video> in the content (sora2api)', () => {
    const reasoning = '**Video Generation Progress**: 30% (running)\n**Video Generation Progress**: 72% (running)\n';
    expect(parseTaskReport('', { reasoning })).toEqual({ phase: 'generating', progress: 72 });
    const content = "```html\n<video src='https://cdn.example.com/tmp/a1.mp4' controls></video>\n```";
    expect(parseTaskReport(content, { reasoning })).toEqual({
      phase: 'completed',
      progress: 100,
      videoUrl: 'https://cdn.example.com/tmp/a1.mp4',
    });
  });

  it('reads <video> with either quote, attributes in any order, a raw & and &amp; in the URL, and a poster (flow2api, grok2api)', () => {
    const raw =
      "<video src='https://storage.example.com/v.mp4?X-Sig=a&Expires=1' data-media-id='m1' controls style='max-width:100%'></video>";
    expect(parseTaskReport(raw).videoUrl).toBe('https://storage.example.com/v.mp4?X-Sig=a&Expires=1');
    const swapped = '<video controls poster="https://cdn.example.com/p.jpg" src="https://cdn.example.com/v?id=1&amp;t=2"></video>';
    expect(parseTaskReport(swapped)).toMatchObject({
      videoUrl: 'https://cdn.example.com/v?id=1&t=2',
      previewUrl: 'https://cdn.example.com/p.jpg',
    });
    const source =
      '<video controls>\n<source src="https://cdn.example.com/s.webm" type="video/webm">\n</video>\n<img src="https://cdn.example.com/s.png">';
    expect(parseTaskReport(source)).toMatchObject({
      videoUrl: 'https://cdn.example.com/s.webm',
      previewUrl: 'https://cdn.example.com/s.png',
    });
  });

  it('resolves links relative to the relay and takes a lone URL answer as the video (grok2api)', () => {
    expect(parseTaskReport('/v1/files/video?id=abc123', { baseUrl: BASE }).videoUrl).toBe(
      'https://relay.example.com/v1/files/video?id=abc123',
    );
    expect(parseTaskReport('<video controls src="/v1/files/video?id=x"></video>', { baseUrl: BASE }).videoUrl).toBe(
      'https://relay.example.com/v1/files/video?id=x',
    );
    expect(parseTaskReport('https://assets.example.com/gen/abc/generated_video\n').videoUrl).toBe(
      'https://assets.example.com/gen/abc/generated_video',
    );
    // Without a base a relative link is not a link; protocol-relative ones never are.
    expect(parseTaskReport('/v1/files/video?id=abc123').videoUrl).toBeUndefined();
    expect(parseTaskReport('//evil.example.com/v.mp4', { baseUrl: BASE }).videoUrl).toBeUndefined();
  });

  it('takes a bare media URL in running text, without the sentence punctuation around it', () => {
    expect(parseTaskReport('视频已生成：https://cdn.example.com/x/y.mp4。').videoUrl).toBe('https://cdn.example.com/x/y.mp4');
    expect(parseTaskReport('Done! (https://cdn.example.com/y.MP4?sig=1), enjoy').videoUrl).toBe('https://cdn.example.com/y.MP4?sig=1');
    // A bare link that is not a media file is only a link in a sentence.
    expect(parseTaskReport('See https://docs.example.com/help for details\n').videoUrl).toBeUndefined();
  });

  it('never takes a javascript:/data: link from a tag, a lone answer or a relative path trick', () => {
    for (const text of [
      '<video src="javascript:alert(1)"></video>',
      "<video src='data:video/mp4;base64,AAAA'></video>",
      'javascript:alert(1)',
      '<img src="javascript:alert(1)">',
      '/\\evil.example.com/x.mp4',
    ]) {
      const snap = parseTaskReport(text, { baseUrl: BASE });
      expect(snap.videoUrl).toBeUndefined();
      expect(snap.previewUrl).toBeUndefined();
    }
  });

  it('reads failures from the reasoning: 错误:, ❌ 生成失败, Content Policy Violation', () => {
    expect(parseTaskReport('', { reasoning: '生成进度: 7%\n错误: 视频生成失败: PUBLIC_ERROR_UNSAFE_GENERATION\n' })).toMatchObject({
      phase: 'failed',
      failure: expect.stringContaining('PUBLIC_ERROR_UNSAFE_GENERATION') as string,
    });
    expect(parseTaskReport('❌ 生成失败: 上游超时').failure).toBe('生成失败: 上游超时');
    expect(parseTaskReport('', { reasoning: '**Content Policy Violation**: This content may violate our guardrails\n' })).toMatchObject({
      phase: 'failed',
      failure: expect.stringContaining('may violate our guardrails') as string,
    });
  });

  it('progress in the reasoning lines of each relay', () => {
    expect(parseTaskReport('', { reasoning: '生成进度: 7%\n' }).progress).toBe(7);
    expect(parseTaskReport('', { reasoning: '视频正在生成 45%\n' }).progress).toBe(45);
    // The higher progress of content and reasoning is the latest.
    expect(parseTaskReport('> 进度 20%\n', { reasoning: '生成进度: 60%\n' }).progress).toBe(60);
    expect(parseTaskReport('> 进度 80%\n', { reasoning: '生成进度: 60%\n' }).progress).toBe(80);
  });

  it('a step being done is not the job being done ("Upload done, queuing…")', () => {
    expect(parseTaskReport('> Upload done, queuing…\n')).toEqual({ phase: 'queued' });
    expect(parseTaskReport('> Upload done, queuing…\n> Progress 12%\n')).toEqual({ phase: 'generating', progress: 12 });
    expect(parseTaskReport('> Video ready\n').phase).toBe('completed');
  });

  it('stays linear on 1 MB of hostile tags and lone-URL look-alikes', () => {
    const junk = [
      '<video src="'.repeat(40_000),
      "<video src='x' ".repeat(40_000),
      '<img '.repeat(60_000),
      '/'.repeat(200_000),
      `see https://a${'.,'.repeat(150_000)}x`,
    ].join('\n');
    expect(junk.length).toBeGreaterThan(1_000_000);
    // A quadratic scan would run into the test's timeout here; the bench measures the growth.
    const snap = parseTaskReport(junk, { baseUrl: BASE, reasoning: junk });
    expect(snap.videoUrl).toBeUndefined();
  });
});

describe('parseTaskReport: what the review found', () => {
  it('"failed, retrying" is the relay still at it: progress after it counts (sora2api task_retry_enabled)', () => {
    const reasoning =
      '**Video Generation Progress**: 12% (running)\n**生成失败，正在重试**\n**Video Generation Progress**: 41% (running)\n**Video Generation Progress**: 73% (running)\n';
    expect(parseTaskReport('', { reasoning })).toEqual({ phase: 'generating', progress: 73 });
    expect(parseTaskReport('> Upstream timeout, retrying (1/3)\n> Progress 20%\n')).toEqual({ phase: 'generating', progress: 20 });
    // A failure that does not say it retries still fails.
    expect(parseTaskReport('> 重试次数已用完，生成失败\n').phase).toBe('failed');
  });

  it('a bare or lone URL on the last, unterminated line is only taken once the answer has ended', () => {
    // Cut mid-signature: still a .mp4, but not the whole link.
    const cut = '视频已生成：https://cdn.example.com/x.mp4?sig=ab';
    expect(parseTaskReport(cut, { complete: false }).videoUrl).toBeUndefined();
    expect(parseTaskReport(cut, { complete: true }).videoUrl).toBe('https://cdn.example.com/x.mp4?sig=ab');
    const lone = '/v1/files/video?id=ab';
    expect(parseTaskReport(lone, { baseUrl: 'https://relay.example.com', complete: false }).videoUrl).toBeUndefined();
    expect(parseTaskReport(lone, { baseUrl: 'https://relay.example.com' }).videoUrl).toBe('https://relay.example.com/v1/files/video?id=ab');
    // A finished line is whole either way.
    expect(parseTaskReport('https://cdn.example.com/v.mp4\n', { complete: false }).videoUrl).toBe('https://cdn.example.com/v.mp4');
  });
});
