import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { browser } from 'wxt/browser';
import { JobRunner } from '@/utils/runner/runner';
import { chatProtocol, FOLLOW_DEADLINE_MS, MAX_ANSWER_CHARS, type ChatProtocolDeps } from '@/utils/chat/chat-protocol';
import { jobsProtocol } from '@/utils/jobs/jobs-protocol';
import { createWakeAlarm, RECOVER_ALARM, RECOVER_PERIOD_MIN } from '@/utils/runner/keep-alive';
import { RelayError } from '@/utils/relay/errors';
import type { ChatDelta, ChatRequest } from '@/utils/chat/stream-client';
import { DEFAULT_SETTINGS, type Settings } from '@/utils/settings/settings';
import { readStorageProblem, readThreads, ThreadWriter } from '@/utils/threads/store';
import type { FollowOptions, FollowResult } from '@/utils/chat/task-source';
import { parseTaskReport } from '@/utils/chat/report-parser';
import { newThread, type Thread, type Turn, type TurnStatus } from '@/utils/threads/model';
import { notifyFinished } from '@/entrypoints/background/notifications';

/** The runner with the chat protocol over these deps (and the jobs one, unused here). */
const protocolsOf = (deps: ChatProtocolDeps) => ({ chat: chatProtocol(deps), jobs: jobsProtocol() });

const report = (n: number) => [
  '```json\n{"prompt":"p","orientation":"portrait"}\n```\n',
  `> ID: \`task_${n}\`\n`,
  '> 排队中...\n',
  '> 生成中.\n',
  '>🏃 进度 36..',
  '61..',
  `\n> 生成完成 ✅\n> sid: s_${n}\n`,
  `[预览图](https://files.test/${n}.png)\n[视频文件](https://files.test/${n}.mp4)`,
];

interface Call {
  req: ChatRequest;
}

/** A relay in memory: yields the given chunks, honours abort, counts open streams. */
function fakeRelay(
  script: (req: ChatRequest, n: number) => { chunks: (string | ChatDelta)[]; fail?: RelayError; gate?: Promise<void>; gapMs?: number },
) {
  const calls: Call[] = [];
  let open = 0;
  let maxOpen = 0;
  const stream = async function* (req: ChatRequest) {
    const n = calls.push({ req });
    open++;
    maxOpen = Math.max(maxOpen, open);
    try {
      const { chunks, fail, gate, gapMs } = script(req, n);
      if (gate) await gate;
      for (const c of chunks) {
        if (req.signal?.aborted) throw new RelayError('cancelled', 'Cancelled');
        await new Promise((r) => setTimeout(r, gapMs ?? 1));
        yield typeof c === 'string' ? { content: c } : c;
      }
      if (req.signal?.aborted) throw new RelayError('cancelled', 'Cancelled');
      if (fail) throw fail;
    } finally {
      open--;
    }
  };
  return {
    stream,
    calls,
    get maxOpen() {
      return maxOpen;
    },
  };
}

/** A stream a test scripts itself, its chunks arriving a moment apart as over the network (as fakeRelay's). */
function scripted(body: (req: ChatRequest) => Iterable<ChatDelta>) {
  return async function* (req: ChatRequest): AsyncGenerator<ChatDelta> {
    for (const delta of body(req)) {
      await new Promise((r) => setTimeout(r, 1));
      yield delta;
    }
  };
}

async function setup(relay: ReturnType<typeof fakeRelay>, settings: Partial<Settings> = {}) {
  const writer = new ThreadWriter();
  await writer.load();
  const statuses: TurnStatus[] = [];
  const finished: string[] = [];
  const put = writer.put.bind(writer);
  writer.put = (t: Thread, o) => {
    const s = t.turns[t.turns.length - 1]!.status;
    if (statuses[statuses.length - 1] !== s) statuses.push(s);
    return put(t, o);
  };
  const runner = new JobRunner({
    writer,
    settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'sk-1', ...settings }),
    protocols: protocolsOf({ stream: relay.stream, parse: parseTaskReport }),
    onFinished: (_t, turn) => finished.push(turn.status),
  });
  return { writer, runner, statuses, finished };
}

const stored = async (id: string) => (await readThreads([id])).value[0]!;

beforeEach(() => fakeBrowser.reset());

describe('JobRunner', () => {
  it('runs a prompt to a completed video and persists every phase', async () => {
    // Chunks a little further apart than the parse interval, as a real relay sends them.
    const relay = fakeRelay((_r, n) => ({ chunks: report(n), gapMs: 60 }));
    const { runner, statuses, finished } = await setup(relay);
    const thread = await runner.start('  a cow dancing ', 'sora-2', 'popup');
    await runner.idle();
    const t = await stored(thread.id);
    expect(t.title).toBe('a cow dancing');
    expect(t.turns[0]).toMatchObject({
      status: 'completed',
      progress: 100,
      taskId: 'task_1',
      sid: 's_1',
      videoUrl: 'https://files.test/1.mp4',
      previewUrl: 'https://files.test/1.png',
      content: report(1).join(''),
    });
    expect(statuses).toEqual(['pending', 'queued', 'generating', 'completed']);
    expect(finished).toEqual(['completed']);
    expect(relay.calls[0]!.req).toMatchObject({
      baseUrl: 'https://relay.test',
      apiKey: 'sk-1',
      model: 'sora-2',
      messages: [{ role: 'user', content: 'a cow dancing' }],
    });
  });

  it('sends the whole history when modifying, and rejects a second job in one thread', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const relay = fakeRelay((_r, n) => ({ chunks: report(n), gate: n === 2 ? gate : undefined }));
    const { runner } = await setup(relay);
    const thread = await runner.start('cow', 'sora-2', 'popup');
    await runner.idle();
    await runner.modify(thread.id, 'add a halo');
    await expect(runner.modify(thread.id, 'again')).rejects.toThrow(/already has a video in progress/);
    release();
    await runner.idle();
    expect(relay.calls[1]!.req.messages).toEqual([
      { role: 'user', content: 'cow' },
      { role: 'assistant', content: report(1).join('') },
      { role: 'user', content: 'add a halo' },
    ]);
    const t = await stored(thread.id);
    expect(t.turns.map((x) => [x.status, x.sid])).toEqual([
      ['completed', 's_1'],
      ['completed', 's_2'],
    ]);
  });

  it('branching from an earlier version starts a new thread with only that history', async () => {
    const relay = fakeRelay((_r, n) => ({ chunks: report(n) }));
    const { runner } = await setup(relay);
    const thread = await runner.start('cow', 'sora-2-pro', 'popup');
    await runner.idle();
    await runner.modify(thread.id, 'add a halo');
    await runner.idle();
    const v1 = (await stored(thread.id)).turns[0]!;
    const branch = await runner.branch(thread.id, v1.id, 'make it rain');
    await runner.idle();
    expect(relay.calls[2]!.req.messages).toEqual([
      { role: 'user', content: 'cow' },
      { role: 'assistant', content: report(1).join('') },
      { role: 'user', content: 'make it rain' },
    ]);
    expect(relay.calls[2]!.req.model).toBe('sora-2-pro');
    const b = await stored(branch.id);
    expect(b.origin).toBe('branch');
    expect(b.turns.map((t) => [t.prompt, t.status, t.sid])).toEqual([
      ['cow', 'completed', 's_1'],
      ['make it rain', 'completed', 's_3'],
    ]);
    // the original thread is untouched
    expect((await stored(thread.id)).turns.map((t) => t.sid)).toEqual(['s_1', 's_2']);
    await expect(runner.branch(thread.id, 'nope', 'x')).rejects.toThrow(/no longer exists/);
  });

  it('never runs more than the concurrency limit; the rest wait as pending and all finish', async () => {
    const relay = fakeRelay((_r, n) => ({ chunks: report(n) }));
    const { runner } = await setup(relay, { concurrency: 2 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await runner.start(`p${i}`, 'sora-2', 'popup')).id);
    await runner.idle();
    expect(relay.maxOpen).toBe(2);
    expect(relay.calls.map((c) => c.req.messages[0]!.content)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    for (const id of ids) expect((await stored(id)).turns[0]!.status).toBe('completed');
  });

  it('cancels a running job and a pending one', async () => {
    // A relay that answers nothing until the request is aborted.
    const relay = fakeRelay((req) => ({
      chunks: report(1),
      gate: new Promise<void>((_, reject) => req.signal!.addEventListener('abort', () => reject(new RelayError('cancelled', 'Cancelled')))),
    }));
    const { runner } = await setup(relay, { concurrency: 1 });
    const a = await runner.start('a', 'sora-2', 'popup');
    const b = await runner.start('b', 'sora-2', 'popup');
    await vi.waitFor(() => expect(relay.calls).toHaveLength(1));
    await runner.cancel(b.id, b.turns[0].id);
    expect((await stored(b.id)).turns[0]!.status).toBe('cancelled');
    // the fake relay is stuck on its gate: abort must still end the turn
    const aborted = new Promise<void>((r) => relay.calls[0]!.req.signal!.addEventListener('abort', () => r()));
    await runner.cancel(a.id, a.turns[0].id);
    await aborted;
    await runner.idle();
    expect((await stored(a.id)).turns[0]!.status).toBe('cancelled');
    expect(relay.calls).toHaveLength(1);
  });

  it('a cancel that lands after the video link arrived (the answer only waiting to be closed) keeps the video', async () => {
    const relay = fakeRelay(() => ({ chunks: [] }));
    relay.stream = async function* (req: ChatRequest) {
      relay.calls.push({ req });
      for (const content of report(7)) yield { content };
      // The relay holds the socket open after the whole answer; only the abort ends it.
      await new Promise((r) => req.signal!.addEventListener('abort', r));
      throw new RelayError('cancelled', 'Cancelled');
    };
    const { runner, finished } = await setup(relay);
    const t = await runner.start('x', 'sora-2', 'popup');
    await vi.waitFor(async () => expect((await stored(t.id)).turns[0]!.videoUrl).toBe('https://files.test/7.mp4'));
    await runner.cancel(t.id, t.turns[0].id);
    await runner.idle();
    expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'completed', videoUrl: 'https://files.test/7.mp4', progress: 100 });
    expect(finished).toHaveLength(1);
  });

  it('keeps the relay error kind and message on a failed turn', async () => {
    const relay = fakeRelay(() => ({
      chunks: [],
      fail: new RelayError('auth', 'Invalid API key', { status: 401, serverMessage: 'bad key' }),
    }));
    const { runner, finished } = await setup(relay);
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    expect((await stored(t.id)).turns[0]).toMatchObject({
      status: 'failed',
      error: { kind: 'auth', status: 401, serverMessage: 'bad key' },
    });
    expect(finished).toEqual(['failed']);
  });

  it('a report that says the generation failed fails the turn with its reason', async () => {
    const relay = fakeRelay(() => ({ chunks: ['> 排队中...\n', '生成失败: 内容违规'] }));
    const { runner } = await setup(relay);
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn.status).toBe('failed');
    expect(turn.error?.kind).toBe('generation');
    expect(turn.error?.message).toMatch(/内容违规/);
  });

  it('a relay that echoes the API key: the key never reaches the stored turn, the card or the notification', async () => {
    const KEY = 'sk-live-ECHOED-0123456789';
    const relay = fakeRelay((_r, n) =>
      n === 1
        ? { chunks: ['> ID: `task_1`\n> 排队中...\n', `生成失败: key ${KEY.slice(0, 9)}`, `${KEY.slice(9)} has no balance`] }
        : { chunks: [], fail: new RelayError('server', `Unexpected error: upstream rejected Bearer ${KEY}`) },
    );
    const { runner, finished } = await setup(relay, { apiKey: KEY });
    const notes: string[] = [];
    vi.spyOn(browser.notifications, 'create').mockImplementation(((_id: string, o: { title: string; message: string }) => {
      notes.push(`${o.title} ${o.message}`);
      return Promise.resolve('');
    }) as never);
    await browser.storage.local.set({ settings: { notifications: true } });
    const a = await runner.start('a', 'sora-2', 'popup');
    await runner.idle();
    const b = await runner.start('b', 'sora-2', 'popup');
    await runner.idle();
    const turns = [(await stored(a.id)).turns[0]!, (await stored(b.id)).turns[0]!];
    expect(turns.map((t) => t.status)).toEqual(['failed', 'failed']);
    expect(turns[0]!.error?.message).toContain('key *** has no balance');
    expect(turns[1]!.error?.message).toContain('Bearer ***');
    // Nothing stored (the answer shown as "Raw answer" included) holds it…
    expect(JSON.stringify(await browser.storage.local.get(null))).not.toContain(KEY);
    // …nor what the pages are told or notifications say.
    expect(finished).toEqual(['failed', 'failed']);
    for (const t of turns) await notifyFinished(await stored(a.id), t);
    expect(notes).toHaveLength(2);
    expect(notes.join('\n')).not.toContain(KEY);
    vi.restoreAllMocks();
  });

  it('an answer that passes 2 MB (content and reasoning together) fails with a clear message; the stream is stopped and what came is kept', async () => {
    const filler = '.'.repeat(256 * 1024);
    let pulled = 0;
    const relay = fakeRelay(() => ({ chunks: [] }));
    relay.stream = scripted(function* (req) {
      relay.calls.push({ req });
      yield { content: '> ID: `task_big`\n> 生成中.\n' };
      // An answer that never ends, half of it reasoning.
      for (;;) {
        pulled++;
        yield pulled % 2 ? { reasoning: filler } : { content: filler };
      }
    });
    const { runner, finished } = await setup(relay);
    const t = await runner.start('big', 'sora-2', 'popup');
    await runner.idle();
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn).toMatchObject({ status: 'failed', taskId: 'task_big', error: { kind: 'protocol' } });
    expect(turn.error!.message).toBe(
      'The relay’s answer passed 2 MB without finishing, so it was stopped: no video report is that long. What came before is kept.',
    );
    const size = turn.content.length + (turn.reasoning?.length ?? 0);
    expect(size).toBeGreaterThan(MAX_ANSWER_CHARS);
    expect(size).toBeLessThanOrEqual(MAX_ANSWER_CHARS + filler.length + 100);
    expect(pulled).toBe(Math.ceil(MAX_ANSWER_CHARS / filler.length)); // then no more was read
    expect(finished).toEqual(['failed']);
  });

  it('an answer that ends without a video link is a failure, not a success', async () => {
    const relay = fakeRelay(() => ({ chunks: ['> 排队中...\n', '> 生成中.\n'] }));
    const { runner } = await setup(relay);
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    expect((await stored(t.id)).turns[0]).toMatchObject({
      status: 'failed',
      error: { kind: 'protocol' },
      content: '> 排队中...\n> 生成中.\n',
    });
  });

  it('reads progress from the reasoning, keeps it beside the content and never sends it back (sora2api)', async () => {
    const reasoning = (n: number) => ({ reasoning: `**Video Generation Progress**: ${n}% (running)\n` });
    const video = { content: "```html\n<video src='https://relay.test/tmp/v1.mp4' controls></video>\n```" };
    const relay = fakeRelay((_r, n) => ({ chunks: n === 1 ? [reasoning(20), reasoning(65), video] : report(n), gapMs: 60 }));
    const { writer, runner } = await setup(relay);
    const progress: number[] = [];
    const update = writer.update.bind(writer);
    writer.update = (id, fn, o) =>
      update(
        id,
        (t) => {
          const next = fn(t);
          const p = next.turns[0]!.progress;
          if (p !== undefined && progress.at(-1) !== p) progress.push(p);
          return next;
        },
        o,
      );
    const t = await runner.start('a fox', 'veo-3', 'popup');
    await runner.idle();
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn).toMatchObject({ status: 'completed', videoUrl: 'https://relay.test/tmp/v1.mp4', content: video.content });
    expect(turn.reasoning).toBe(reasoning(20).reasoning + reasoning(65).reasoning);
    expect(progress).toEqual([0, 20, 65, 100]);
    await runner.modify(t.id, 'make it night');
    await runner.idle();
    expect(relay.calls[1]!.req.messages).toEqual([
      { role: 'user', content: 'a fox' },
      { role: 'assistant', content: video.content },
      { role: 'user', content: 'make it night' },
    ]);
  });

  it.each([
    ['a dropped connection', new RelayError('network', 'Connection lost')],
    ['a stall', new RelayError('timeout', 'The relay stopped answering')],
    ['an error event', new RelayError('server', 'upstream error', { serverMessage: 'upstream error' })],
  ])('a turn that holds a video is completed, whatever comes after the link: %s', async (_name, fail) => {
    const relay = fakeRelay(() => ({
      chunks: [{ reasoning: '生成进度: 90%\n' }, { content: "<video src='https://relay.test/v.mp4?a=1&b=2' controls></video>" }],
      fail,
    }));
    const { runner, finished } = await setup(relay);
    const t = await runner.start('x', 'veo-3', 'popup');
    await runner.idle();
    expect((await stored(t.id)).turns[0]).toMatchObject({
      status: 'completed',
      progress: 100,
      videoUrl: 'https://relay.test/v.mp4?a=1&b=2',
    });
    expect((await stored(t.id)).turns[0]!.error).toBeUndefined();
    expect(finished).toEqual(['completed']);
  });

  it('tells the stream whether the answer is finished, so an early [DONE] or finish_reason does not end it', async () => {
    const verdicts: boolean[] = [];
    const relay = fakeRelay(() => ({ chunks: [] }));
    /** Past the read interval, so the answer is read afresh when the stream asks. */
    const fresh = () => new Promise((r) => setTimeout(r, 60));
    relay.stream = async function* (req: ChatRequest) {
      relay.calls.push({ req });
      yield { content: '```json\n{"step":"submitted"}\n```\n' };
      await fresh();
      verdicts.push(req.isTerminal!());
      yield { content: '> 生成中\n' };
      await fresh();
      verdicts.push(req.isTerminal!());
      yield { content: '[视频](https://relay.test/v.mp4)' };
      await fresh();
      verdicts.push(req.isTerminal!());
    };
    const { runner } = await setup(relay);
    await runner.start('x', 'runway', 'popup');
    await runner.idle();
    expect(verdicts).toEqual([false, false, true]);
    // A failure is an end too.
    relay.stream = async function* (req: ChatRequest) {
      yield { reasoning: '错误: quota exhausted\n' };
      await fresh();
      verdicts.push(req.isTerminal!());
    };
    await runner.start('y', 'veo-3', 'popup');
    await runner.idle();
    expect(verdicts.at(-1)).toBe(true);
  });

  it('resolves a relative video link against the relay (grok2api)', async () => {
    const relay = fakeRelay(() => ({ chunks: [{ reasoning: '视频正在生成 50%\n' }, { content: '/v1/files/video?id=abc' }] }));
    const { runner } = await setup(relay, { baseUrl: 'https://grok.test/v1' });
    const t = await runner.start('x', 'grok-imagine', 'popup');
    await runner.idle();
    expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'completed', videoUrl: 'https://grok.test/v1/files/video?id=abc' });
  });

  it('a "failed, retrying" line before a successful retry does not hide the video behind Failed', async () => {
    const relay = fakeRelay(() => ({
      chunks: ['> 上游超时，生成失败，正在重试 (1/3)\n', '>🏃 进度 40..', '80..\n', '> 生成完成 ✅\n[视频文件](https://files.test/r.mp4)'],
      gapMs: 60,
    }));
    const { runner } = await setup(relay);
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'completed', videoUrl: 'https://files.test/r.mp4' });
  });

  it('a connection dropped in the middle of a bare link does not complete with half of it', async () => {
    const relay = fakeRelay(() => ({
      chunks: [{ reasoning: '视频正在生成 100%\n' }, { content: 'https://files.test/v.mp4?sig=a' }],
      fail: new RelayError('network', 'Connection lost'),
    }));
    const { runner } = await setup(relay);
    const t = await runner.start('x', 'grok-imagine-video', 'popup');
    await runner.idle();
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn.status).toBe('failed');
    expect(turn.videoUrl).toBeUndefined();
  });

  it('[DONE] after every chunk of a large answer does not re-read the whole answer each time', async () => {
    let parses = 0;
    const parse: typeof parseTaskReport = (c, ctx) => (parses++, parseTaskReport(c, ctx));
    const n = 2_000;
    const relay = fakeRelay(() => ({ chunks: [] }));
    relay.stream = async function* (req: ChatRequest) {
      relay.calls.push({ req });
      for (let i = 0; i < n; i++) {
        await Promise.resolve(); // chunks arrive one by one, as from a socket
        yield { content: `> 排队中 ${'x'.repeat(90)}\n` };
        req.isTerminal!(); // what the stream client asks at each [DONE]
      }
      yield { content: '[视频文件](https://files.test/big.mp4)' };
    };
    const writer = new ThreadWriter();
    await writer.load();
    const runner = new JobRunner({
      writer,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'sk-1' }),
      protocols: protocolsOf({ stream: relay.stream, parse }),
    });
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    expect((await stored(t.id)).turns[0]!.status).toBe('completed');
    expect(parses).toBeLessThan(n / 10);
  });

  it('following a job again while a recovery runs: one follow, one notification, and the badge counts it', async () => {
    const thread = await withInFlight({ taskId: 'task_9', taskSourceUrl: SOURCE, content: inFlightReport });
    await fakeBrowser.storage.local.set({
      [`thread:${thread.id}`]: {
        ...thread,
        turns: [{ ...thread.turns[0], status: 'interrupted', error: { kind: 'interrupted', message: 'x' } }],
      },
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const follows: string[] = [];
    const follow = async (_url: string, _opts: FollowOptions): Promise<FollowResult> => {
      follows.push('follow');
      await gate;
      return done9;
    };
    const writer = new ThreadWriter();
    await writer.load();
    const finished: Turn[] = [];
    let reads = 0;
    const runner = new JobRunner({
      writer,
      // The first read of the settings is slow, the next ones quick: a recovery gets in between.
      settings: async () => {
        if (reads++ === 0) await new Promise((r) => setTimeout(r, 40));
        return { ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'sk-1' };
      },
      protocols: protocolsOf({ stream: fakeRelay(() => ({ chunks: [] })).stream, parse: parseTaskReport, follow }),
      onFinished: (_t, turn) => finished.push(turn),
    });
    const again = runner.followAgain(thread.id, thread.turns[0].id);
    await new Promise((r) => setTimeout(r, 15));
    await runner.recover();
    await again;
    expect(runner.runningCount).toBe(1);
    release();
    await runner.idle();
    expect(follows).toEqual(['follow']);
    expect(finished.map((x) => x.status)).toEqual(['completed']);
  });

  it('on start-up marks requests that were in flight as interrupted (never re-sends) and starts pending ones', async () => {
    const writer = new ThreadWriter();
    await writer.load();
    const inflight = newThread('was running', 'sora-2', 'popup');
    inflight.turns[0] = { ...inflight.turns[0], status: 'generating', progress: 40, taskId: 'task_9', content: '> ID: `task_9`' };
    const waiting = newThread('was waiting', 'sora-2', 'popup');
    await writer.put(inflight, { immediate: true });
    await writer.put(waiting, { immediate: true });

    const relay = fakeRelay((_r, n) => ({ chunks: report(n) }));
    const { runner } = await setup(relay);
    await runner.recover();
    await runner.idle();
    expect((await stored(inflight.id)).turns[0]).toMatchObject({
      status: 'interrupted',
      taskId: 'task_9',
      progress: 40,
      content: '> ID: `task_9`',
    });
    expect((await stored(waiting.id)).turns[0]!.status).toBe('completed');
    expect(relay.calls.map((c) => c.req.messages[0]!.content)).toEqual(['was waiting']);
  });

  it('retry is a new turn with the same prompt, only for turns that did not complete', async () => {
    const relay = fakeRelay((_r, n) => (n === 1 ? { chunks: [], fail: new RelayError('server', 'boom') } : { chunks: report(n) }));
    const { runner } = await setup(relay);
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    const failedId = (await stored(t.id)).turns[0]!.id;
    await runner.retry(t.id, failedId);
    await runner.idle();
    const after = await stored(t.id);
    expect(after.turns.map((x) => x.status)).toEqual(['failed', 'completed']);
    // the failed attempt is not part of the history
    expect(relay.calls[1]!.req.messages).toEqual([{ role: 'user', content: 'x' }]);
    await expect(runner.retry(t.id, after.turns[1]!.id)).rejects.toThrow(/Only a failed/);
  });

  it('a pending turn of a thread deleted while the queue was being read never starts, and the thread stays deleted', async () => {
    let releaseA!: () => void;
    const gateA = new Promise<void>((r) => (releaseA = r));
    const relay = fakeRelay((_r, n) => ({ chunks: report(n), gate: n === 1 ? gateA : undefined }));
    const { runner } = await setup(relay, { concurrency: 1 });
    const a = await runner.start('a', 'sora-2', 'popup');
    const b = await runner.start('b', 'sora-2', 'popup');
    await vi.waitFor(() => expect(relay.calls).toHaveLength(1));

    // The promise forms the store calls (spyOn would type the mocks as the last, callback overloads).
    const local = browser.storage.local as {
      get(keys: string[]): Promise<Record<string, unknown>>;
      remove(keys: string | string[]): Promise<void>;
    };
    const get = local.get.bind(local);
    const remove = local.remove.bind(local);
    let releaseRead!: () => void;
    const readHeld = new Promise<void>((r) => (releaseRead = r));
    let releaseRemove!: () => void;
    const removeHeld = new Promise<void>((r) => (releaseRemove = r));
    let readStarted = false;
    // The queue's read of b is slow, and so is the removal of b's record.
    vi.spyOn(local, 'get').mockImplementation(async (keys) => {
      const got = await get(keys);
      if (!readStarted && Array.isArray(keys) && keys.includes(`thread:${b.id}`)) {
        readStarted = true;
        await readHeld;
      }
      return got;
    });
    vi.spyOn(local, 'remove').mockImplementation(async (keys: string | string[]) => {
      await removeHeld;
      return remove(keys);
    });

    releaseA(); // a finishes: the queue reads which turn is next (b)…
    await vi.waitFor(() => expect(readStarted).toBe(true));
    const removing = runner.remove(b.id); // …and b is deleted meanwhile
    releaseRead();
    await new Promise((r) => setTimeout(r, 50));
    releaseRemove();
    await removing;
    await runner.idle();
    vi.restoreAllMocks();

    expect(relay.calls.map((c) => c.req.messages[0]!.content)).toEqual(['a']);
    expect((await browser.storage.local.get(`thread:${b.id}`))[`thread:${b.id}`]).toBeUndefined();
    expect((await stored(a.id)).turns[0]!.status).toBe('completed');
  });

  it('retrying an older failed version retries it on its own base, as a new thread, never remixing a newer video', async () => {
    // v1 ✓, v2 ✗, v3 ✓: retrying v2 must build on v1, as v2 did, not on v3.
    const relay = fakeRelay((_r, n) => (n === 2 ? { chunks: [], fail: new RelayError('server', 'boom') } : { chunks: report(n) }));
    const { runner } = await setup(relay);
    const t = await runner.start('cow', 'sora-2', 'popup');
    await runner.idle();
    await runner.modify(t.id, 'add a halo');
    await runner.idle();
    await runner.modify(t.id, 'make it night');
    await runner.idle();
    const [v1, v2, v3] = (await stored(t.id)).turns;
    expect([v1, v2, v3].map((x) => x!.status)).toEqual(['completed', 'failed', 'completed']);

    const r = await runner.retry(t.id, v2!.id);
    await runner.idle();
    expect(r.threadId).not.toBe(t.id);
    expect(relay.calls[3]!.req.messages).toEqual([
      { role: 'user', content: 'cow' },
      { role: 'assistant', content: report(1).join('') },
      { role: 'user', content: 'add a halo' },
    ]);
    const fork = await stored(r.threadId);
    expect(fork.title).toBe('cow · retry of v2');
    expect(fork.turns.map((x) => [x.prompt, x.status, x.sid])).toEqual([
      ['cow', 'completed', 's_1'],
      ['add a halo', 'completed', 's_4'],
    ]);
    expect(fork.turns[1]!.id).toBe(r.turnId);
    // The thread it came from is as it was.
    expect((await stored(t.id)).turns.map((x) => x.status)).toEqual(['completed', 'failed', 'completed']);
  });

  it('retrying the first version after a later one completed sends its prompt alone', async () => {
    const relay = fakeRelay((_r, n) => (n === 1 ? { chunks: [], fail: new RelayError('server', 'boom') } : { chunks: report(n) }));
    const { runner } = await setup(relay);
    const t = await runner.start('cow', 'sora-2', 'popup');
    await runner.idle();
    await runner.modify(t.id, 'a horse instead');
    await runner.idle();
    const r = await runner.retry(t.id, (await stored(t.id)).turns[0]!.id);
    await runner.idle();
    expect(r.threadId).not.toBe(t.id);
    expect(relay.calls[2]!.req.messages).toEqual([{ role: 'user', content: 'cow' }]);
  });

  it('rejects an empty or over-long prompt and stores nothing', async () => {
    const relay = fakeRelay(() => ({ chunks: [] }));
    const { runner, writer } = await setup(relay);
    await expect(runner.start('   ', 'sora-2', 'popup')).rejects.toThrow(/Write a prompt/);
    await expect(runner.start('x'.repeat(5000), 'sora-2', 'popup')).rejects.toThrow(/too long/);
    expect(writer.entries()).toHaveLength(0);
    expect(relay.calls).toHaveLength(0);
  });
});

/** A task source in memory: each follow() gets the next outcome after reporting some progress. */
function fakeFollow(outcomes: (FollowResult | 'hang')[]) {
  const calls: { url: string; opts: FollowOptions }[] = [];
  const follow = async (url: string, opts: FollowOptions): Promise<FollowResult> => {
    const n = calls.push({ url, opts });
    await opts.onUpdate?.({ status: 'generating', progress: 70 });
    const outcome = outcomes[Math.min(n - 1, outcomes.length - 1)]!;
    if (outcome === 'hang')
      return new Promise((_, reject) => opts.signal?.addEventListener('abort', () => reject(new RelayError('cancelled', 'Cancelled'))));
    return outcome;
  };
  return { follow, calls };
}

const SOURCE = 'https://relay.test/tasks/task_9.json';
const done9: FollowResult = {
  outcome: 'completed',
  state: { status: 'completed', progress: 100, videoUrl: 'https://files.test/9.mp4', previewUrl: 'https://files.test/9.gif' },
};

async function withInFlight(turn: Partial<Turn>) {
  const writer = new ThreadWriter();
  await writer.load();
  const thread = newThread('was running', 'sora-2', 'popup', 1000);
  thread.turns[0] = { ...thread.turns[0], status: 'generating', progress: 40, startedAt: 1000, ...turn };
  await writer.put(thread, { immediate: true });
  return thread;
}

async function followSetup(
  follow: ReturnType<typeof fakeFollow>,
  relay = fakeRelay((_r, n) => ({ chunks: report(n) })),
  settings: Partial<Settings> = {},
) {
  const writer = new ThreadWriter();
  await writer.load();
  const finished: Turn[] = [];
  const seen: Turn[] = [];
  const put = writer.put.bind(writer);
  writer.put = (t: Thread, o) => (seen.push(t.turns[t.turns.length - 1]!), put(t, o));
  const runner = new JobRunner({
    writer,
    settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'sk-1', ...settings }),
    protocols: protocolsOf({ stream: relay.stream, parse: parseTaskReport, follow: follow.follow }),
    onFinished: (_t, turn) => finished.push(turn),
  });
  return { writer, runner, finished, seen, relay };
}

const inFlightReport =
  '> ID: `task_9`\n>[数据预览](https://relay.test/tasks/task_9) | [原始数据](https://relay.test/tasks/task_9.json)\n> 排队中...\n> 生成中.\n>🏃 进度 36..';

describe('JobRunner recovery and resume', () => {
  it('on start-up follows an in-flight turn on its task source to the video, sending nothing', async () => {
    const thread = await withInFlight({ taskId: 'task_9', taskSourceUrl: SOURCE, content: inFlightReport });
    const follow = fakeFollow([done9]);
    const { runner, finished, seen, relay } = await followSetup(follow);
    await runner.recover();
    await runner.idle();
    expect(relay.calls).toHaveLength(0);
    expect(follow.calls.map((c) => c.url)).toEqual([SOURCE]);
    // No key goes to the task source; the deadline counts from when the request left.
    expect(follow.calls[0]!.opts).toMatchObject({ secret: 'sk-1', deadline: 1000 + FOLLOW_DEADLINE_MS });
    const turn = (await stored(thread.id)).turns[0]!;
    expect(turn).toMatchObject({
      status: 'completed',
      progress: 100,
      videoUrl: 'https://files.test/9.mp4',
      previewUrl: 'https://files.test/9.gif',
      taskId: 'task_9',
      content: inFlightReport,
    });
    expect(turn.resume).toBeUndefined();
    expect(turn.error).toBeUndefined();
    // While it was followed the turn said so, and showed the relay's progress.
    const following = seen.find((t) => t.resume);
    expect(following?.resume).toEqual({ reason: 'restart', since: expect.any(Number) as number });
    expect(seen.some((t) => t.status === 'generating' && t.progress === 70)).toBe(true);
    expect(finished.map((t) => t.status)).toEqual(['completed']);
  });

  it('a job the task source reports failed fails with its reason; one it never answers for is interrupted', async () => {
    const a = await withInFlight({ taskSourceUrl: SOURCE, taskId: 'task_9' });
    const follow = fakeFollow([{ outcome: 'failed', state: { status: 'failed' }, failure: 'content policy' }]);
    const { runner } = await followSetup(follow);
    await runner.recover();
    await runner.idle();
    expect((await stored(a.id)).turns[0]).toMatchObject({ status: 'failed', error: { kind: 'generation', message: 'content policy' } });

    fakeBrowser.reset();
    const b = await withInFlight({ taskSourceUrl: SOURCE, taskId: 'task_9', content: 'kept' });
    const lost = await followSetup(fakeFollow([{ outcome: 'lost', reason: 'the task source answered HTTP 404' }]));
    await lost.runner.recover();
    await lost.runner.idle();
    const turn = (await stored(b.id)).turns[0]!;
    expect(turn).toMatchObject({ status: 'interrupted', taskId: 'task_9', content: 'kept', error: { kind: 'interrupted' } });
    expect(turn.error!.message).toMatch(/HTTP 404.*task_9.*Retry starts a new generation/);
  });

  it('without a task source an in-flight turn becomes interrupted, keeping its id, links and text', async () => {
    const t = await withInFlight({ taskId: 'task_9', taskPageUrl: 'https://relay.test/tasks/task_9', content: '> ID: `task_9`' });
    const follow = fakeFollow([done9]);
    const { runner, finished } = await followSetup(follow);
    await runner.recover();
    await runner.idle();
    expect(follow.calls).toHaveLength(0);
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn).toMatchObject({
      status: 'interrupted',
      taskId: 'task_9',
      taskPageUrl: 'https://relay.test/tasks/task_9',
      progress: 40,
      content: '> ID: `task_9`',
    });
    expect(turn.error).toMatchObject({ kind: 'interrupted', message: expect.stringContaining('task_9') as string });
    expect(finished).toHaveLength(1);
  });

  it('an answer that was complete when the worker died is finished from its text', async () => {
    const t = await withInFlight({ taskSourceUrl: SOURCE, content: report(9).join('') });
    const follow = fakeFollow([done9]);
    const { runner } = await followSetup(follow);
    await runner.recover();
    await runner.idle();
    expect(follow.calls).toHaveLength(0);
    expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'completed', videoUrl: 'https://files.test/9.mp4', sid: 's_9' });
  });

  it('recovery is idempotent: start-up and an alarm at once follow each turn once', async () => {
    await withInFlight({ taskSourceUrl: SOURCE });
    const follow = fakeFollow(['hang']);
    const { runner } = await followSetup(follow);
    await Promise.all([runner.recover(), runner.recover()]);
    await runner.recover();
    expect(follow.calls).toHaveLength(1);
    expect(runner.runningCount).toBe(1);
  });

  it('cancel stops following', async () => {
    const t = await withInFlight({ taskSourceUrl: SOURCE });
    const follow = fakeFollow(['hang']);
    const { runner } = await followSetup(follow);
    await runner.recover();
    await vi.waitFor(() => expect(follow.calls).toHaveLength(1));
    await runner.cancel(t.id, t.turns[0].id);
    await runner.idle();
    expect((await stored(t.id)).turns[0]!.status).toBe('cancelled');
  });

  const head = ['```json\n{"prompt":"p"}\n```\n', inFlightReport];

  it('a dropped connection mid-stream with a task source resumes from it; the prompt is sent once', async () => {
    const relay = fakeRelay(() => ({ chunks: head, fail: new RelayError('network', 'Network error: network error') }));
    const follow = fakeFollow([done9]);
    const { runner, seen } = await followSetup(follow, relay);
    const t = await runner.start('p', 'sora-2', 'popup');
    await runner.idle();
    expect(relay.calls).toHaveLength(1);
    expect(follow.calls.map((c) => c.url)).toEqual([SOURCE]);
    expect(seen.find((x) => x.resume)?.resume).toEqual({ reason: 'network', since: expect.any(Number) as number });
    expect((await stored(t.id)).turns[0]).toMatchObject({
      status: 'completed',
      videoUrl: 'https://files.test/9.mp4',
      content: head.join(''),
    });
  });

  it('the live progress of a stream that goes on from its task source is cleared when the job ends there', async () => {
    const relay = fakeRelay(() => ({ chunks: head, fail: new RelayError('network', 'Network error: network error'), gapMs: 60 }));
    const follow = fakeFollow([done9]);
    const writer = new ThreadWriter();
    await writer.load();
    const live = new Map<string, unknown>();
    const runner = new JobRunner({
      writer,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'sk-1' }),
      protocols: protocolsOf({ stream: relay.stream, parse: parseTaskReport, follow: follow.follow }),
      onLive: (turnId, progress) => {
        if (progress) live.set(turnId, progress);
        else live.delete(turnId);
      },
    });
    const t = await runner.start('p', 'sora-2', 'popup');
    await vi.waitFor(() => expect(live.size).toBe(1));
    await runner.idle();
    expect((await stored(t.id)).turns[0]!.status).toBe('completed');
    expect(follow.calls).toHaveLength(1);
    expect([...live.keys()]).toEqual([]);
  });

  it('a stall with a task source resumes from it; without one it fails as a timeout that says what to expect', async () => {
    const stall = new RelayError('timeout', 'The relay stopped sending data for 3 s, so the stream was stopped');
    const relay = fakeRelay((_r, n) => ({ chunks: n === 1 ? head : ['> ID: `task_7`\n> 生成中.\n'], fail: stall }));
    const follow = fakeFollow([done9]);
    const { runner, seen } = await followSetup(follow, relay, { stallTimeoutMin: 0.05 });
    const a = await runner.start('a', 'sora-2', 'popup');
    await runner.idle();
    expect(seen.find((x) => x.resume)?.resume).toEqual({ reason: 'stall', since: expect.any(Number) as number });
    expect((await stored(a.id)).turns[0]!.status).toBe('completed');

    const b = await runner.start('b', 'sora-2', 'popup');
    await runner.idle();
    const turn = (await stored(b.id)).turns[0]!;
    expect(turn).toMatchObject({ status: 'failed', taskId: 'task_7', error: { kind: 'timeout' } });
    expect(turn.error!.message).toMatch(
      /stopped sending data for 3 s.*task task_7\) may still finish on the relay.*Retry starts a new generation/,
    );
    expect(relay.calls).toHaveLength(2);
    expect(follow.calls).toHaveLength(1);
  });

  it('an answer that ends without a usable video link is completed from the task source', async () => {
    const relay = fakeRelay(() => ({ chunks: [...head, '\n> 生成完成 ✅\n[视频文件](javascript:alert(1))'] }));
    const follow = fakeFollow([done9]);
    const { runner, seen } = await followSetup(follow, relay);
    const t = await runner.start('p', 'sora-2', 'popup');
    await runner.idle();
    expect(seen.find((x) => x.resume)?.resume?.reason).toBe('incomplete');
    expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'completed', videoUrl: 'https://files.test/9.mp4' });
  });

  it('an error the relay reports mid-stream is its answer: no resume', async () => {
    const relay = fakeRelay(() => ({ chunks: head, fail: new RelayError('server', 'The relay reported a server error: upstream') }));
    const follow = fakeFollow([done9]);
    const { runner } = await followSetup(follow, relay);
    const t = await runner.start('p', 'sora-2', 'popup');
    await runner.idle();
    expect(follow.calls).toHaveLength(0);
    expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'failed', error: { kind: 'server' } });
  });
});

describe('JobRunner: jobs that are only followed', () => {
  async function seedInFlight(n: number, source: (i: number) => string) {
    const writer = new ThreadWriter();
    await writer.load();
    const threads: Thread[] = [];
    for (let i = 0; i < n; i++) {
      const thread = newThread(`followed ${i}`, 'sora-2', 'popup', 1000 + i);
      thread.turns[0] = {
        ...thread.turns[0],
        status: 'generating',
        progress: 40,
        startedAt: 1000,
        taskId: `task_${i}`,
        taskSourceUrl: source(i),
      };
      await writer.put(thread, { immediate: true });
      threads.push(thread);
    }
    return threads;
  }

  it('never hold the queue: with three followed after a restart (limit 3), a fourth prompt starts at once', async () => {
    await seedInFlight(3, (i) => `https://relay.test/tasks/task_${i}.json`);
    const follow = fakeFollow(['hang']);
    const { runner, relay } = await followSetup(follow);
    await runner.recover();
    await vi.waitFor(() => expect(follow.calls).toHaveLength(3));
    const fourth = await runner.start('fourth', 'sora-2', 'popup');
    await vi.waitFor(() => expect(relay.calls).toHaveLength(1), { timeout: 1000 });
    await vi.waitFor(async () => expect((await stored(fourth.id)).turns[0]!.status).toBe('completed'));
    expect(runner.runningCount).toBe(3); // still followed, and kept alive
  });

  it('a stream that dropped and is now followed frees its slot for the next prompt (limit 1)', async () => {
    const relay = fakeRelay((_r, n) =>
      n === 1
        ? { chunks: ['```json\n{"prompt":"p"}\n```\n', inFlightReport], fail: new RelayError('network', 'Connection lost') }
        : { chunks: report(n) },
    );
    const follow = fakeFollow(['hang']);
    const { runner } = await followSetup(follow, relay, { concurrency: 1 });
    await runner.start('dropped', 'sora-2', 'popup');
    await vi.waitFor(() => expect(follow.calls).toHaveLength(1));
    const next = await runner.start('next', 'sora-2', 'popup');
    await vi.waitFor(async () => expect((await stored(next.id)).turns[0]!.status).toBe('completed'), { timeout: 2000 });
    expect(relay.calls).toHaveLength(2);
  });

  /** The real follower on a fake clock: every sleep moves the clock, so ten minutes pass in a moment. */
  function fakeClock() {
    let now = 5_000_000;
    return {
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
        await Promise.resolve();
      },
      random: () => 0.5,
    };
  }

  it('a source that keeps failing (unreachable every poll) ends interrupted with its task id after the stall timeout, not hours later', async () => {
    const [t] = await seedInFlight(1, () => 'https://tasks.relay.test/task_0.json');
    const clock = fakeClock();
    const started = clock.now();
    let polls = 0;
    const fetch = (() => {
      polls++;
      return Promise.reject(new TypeError('Failed to fetch'));
    }) as typeof globalThis.fetch;
    const writer = new ThreadWriter();
    await writer.load();
    const finished: Turn[] = [];
    const runner = new JobRunner({
      writer,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'sk-1', stallTimeoutMin: 10 }),
      protocols: protocolsOf({
        stream: fakeRelay(() => ({ chunks: [] })).stream,
        parse: parseTaskReport,
        followOptions: { ...clock, fetch },
        // the host is allowed: the relay is simply unreachable
        canRead: () => Promise.resolve(true),
      }),
      onFinished: (_t, turn) => finished.push(turn),
    });
    await runner.recover();
    await runner.idle();
    const turn = (await stored(t!.id)).turns[0]!;
    expect(turn).toMatchObject({ status: 'interrupted', taskId: 'task_0', error: { kind: 'interrupted' } });
    expect(turn.error!.message).toMatch(
      /every request to the task source failed for 10 min \(the task source could not be reached\).*task_0/,
    );
    expect(turn.error!.needsAccess).toBeUndefined();
    const elapsed = clock.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(10 * 60_000);
    expect(elapsed).toBeLessThan(11 * 60_000);
    expect(polls).toBeGreaterThan(30);
    expect(finished.map((x) => x.status)).toEqual(['interrupted']);
  });

  it('a source on a host the extension may not read: said at once, with the origin to allow; once allowed, followed again to the video', async () => {
    const [t] = await seedInFlight(1, () => 'https://tasks.other.test:8443/v1/task_0.json');
    const clock = fakeClock();
    let allowed = false;
    const fetch = (() => {
      if (!allowed) return Promise.reject(new TypeError('Failed to fetch'));
      const video = { status: 'completed', url: 'https://cdn.other.test/0.mp4' };
      return Promise.resolve(new Response(JSON.stringify(video), { headers: { 'content-type': 'application/json' } }));
    }) as typeof globalThis.fetch;
    const writer = new ThreadWriter();
    await writer.load();
    const relay = fakeRelay(() => ({ chunks: [] }));
    const asked: string[] = [];
    const runner = new JobRunner({
      writer,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'sk-1' }),
      protocols: protocolsOf({
        stream: relay.stream,
        parse: parseTaskReport,
        followOptions: { ...clock, fetch },
        canRead: (url) => {
          asked.push(url);
          return Promise.resolve(allowed);
        },
      }),
    });
    await runner.recover();
    await runner.idle();
    const blocked = (await stored(t!.id)).turns[0]!;
    expect(blocked).toMatchObject({
      status: 'interrupted',
      taskId: 'task_0',
      error: { kind: 'interrupted', needsAccess: 'https://tasks.other.test:8443' },
    });
    expect(blocked.error!.message).toMatch(/tasks\.other\.test:8443.*no permission to read.*task_0.*Allow access/);
    expect(asked).toEqual(['https://tasks.other.test:8443/v1/task_0.json']);

    allowed = true; // the user clicked "Allow access" and the browser granted it
    await runner.followAgain(t!.id, blocked.id);
    await runner.idle();
    expect((await stored(t!.id)).turns[0]).toMatchObject({
      status: 'completed',
      videoUrl: 'https://cdn.other.test/0.mp4',
      taskId: 'task_0',
    });
    expect(relay.calls).toHaveLength(0);
    await expect(runner.followAgain(t!.id, blocked.id)).rejects.toThrow(/cannot be followed again/);
  });
});

describe('JobRunner and a full storage', () => {
  it('refuses to start a job it cannot store (nothing is sent), with a clear message', async () => {
    const writer = new ThreadWriter(() => Promise.reject(new Error('QUOTA_BYTES quota exceeded')));
    await writer.load();
    const relay = fakeRelay((_r, n) => ({ chunks: report(n) }));
    const runner = new JobRunner({
      writer,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'k' }),
      protocols: protocolsOf({ stream: relay.stream, parse: parseTaskReport }),
    });
    await expect(runner.start('p', 'sora-2', 'popup')).rejects.toThrow(/Browser storage is full/);
    await runner.idle();
    expect(relay.calls).toHaveLength(0);
    expect(writer.entries()).toHaveLength(0);
  });

  it('a running job keeps going in memory when writes start failing, and lands once they work again', async () => {
    let full = false;
    const writer = new ThreadWriter(async (items) => {
      if (full && Object.keys(items).some((k) => k.startsWith('thread:'))) throw new Error('QUOTA_BYTES quota exceeded');
      await browser.storage.local.set(items);
    });
    await writer.load();
    const relay = fakeRelay((_r, n) => ({ chunks: report(n) }));
    const finished: Turn[] = [];
    const runner = new JobRunner({
      writer,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'k' }),
      protocols: protocolsOf({ stream: relay.stream, parse: parseTaskReport }),
      onFinished: (_t, turn) => finished.push(turn),
    });
    const t = await runner.start('p', 'sora-2', 'popup');
    full = true;
    await runner.idle();
    expect(finished.map((x) => x.status)).toEqual(['completed']);
    expect((await writer.get(t.id))?.turns[0]?.status).toBe('completed');
    expect((await readThreads([t.id])).value[0]?.turns[0]?.status).not.toBe('completed');
    expect(await readStorageProblem()).toMatchObject({ message: expect.stringMatching(/storage is full/) as string, threadIds: [t.id] });
    full = false;
    await writer.flushAll();
    expect((await readThreads([t.id])).value[0]?.turns[0]?.status).toBe('completed');
    await vi.waitFor(async () => expect(await readStorageProblem()).toBeUndefined());
  });
});

describe('the wake alarm', () => {
  it('exists exactly while jobs run, and an existing one is not re-created (its next tick is kept)', async () => {
    const alarms = new Map<string, { periodInMinutes?: number }>();
    const created: string[] = [];
    const api = {
      get: (name: string) => Promise.resolve(alarms.has(name) ? { name, scheduledTime: 0, ...alarms.get(name) } : undefined),
      create: (name: string, info: { periodInMinutes?: number }) => {
        created.push(name);
        alarms.set(name, info);
        return Promise.resolve();
      },
      clear: (name: string) => Promise.resolve(alarms.delete(name)),
    } as unknown as Parameters<typeof createWakeAlarm>[0];
    alarms.set(RECOVER_ALARM, { periodInMinutes: RECOVER_PERIOD_MIN }); // left by a worker Chrome stopped
    const wake = createWakeAlarm(api);
    await wake.set(true);
    expect(created).toEqual([]);
    await wake.set(false);
    expect(alarms.has(RECOVER_ALARM)).toBe(false);
    await wake.set(true);
    await wake.set(true);
    expect(created).toEqual([RECOVER_ALARM]);
    expect(alarms.get(RECOVER_ALARM)?.periodInMinutes).toBeGreaterThanOrEqual(0.5);
  });
});

describe('JobRunner streaming', () => {
  it('a burst of deltas followed by silence is still parsed and stored (the last progress is not held back)', async () => {
    const gate = new Promise<void>(() => {});
    const relay = fakeRelay(() => ({ chunks: [] }));
    const stream = async function* (req: ChatRequest) {
      relay.calls.push({ req });
      // Everything in one go, as one network read can carry several events…
      yield { content: '> ID: `task_1`\n> 生成中.\n' };
      yield { content: '>🏃 进度 36..' };
      yield { content: '44..' };
      // …then the relay goes quiet.
      await Promise.race([
        gate,
        new Promise((_, reject) => req.signal?.addEventListener('abort', () => reject(new RelayError('cancelled', 'Cancelled')))),
      ]);
    };
    const { runner } = await setup({ ...relay, stream });
    const t = await runner.start('p', 'sora-2', 'popup');
    await vi.waitFor(async () => expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'generating', progress: 44 }), {
      timeout: 1000,
    });
    await runner.cancel(t.id, t.turns[0].id);
    await runner.idle();
  });
});
