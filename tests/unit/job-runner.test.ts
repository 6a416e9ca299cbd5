import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { JobRunner } from '@/utils/job-runner';
import { RelayError } from '@/utils/errors';
import type { ChatRequest } from '@/utils/chat-stream';
import { DEFAULT_SETTINGS, type Settings } from '@/utils/settings';
import { readThreads, ThreadWriter } from '@/utils/store';
import { parseTaskReport } from '@/utils/task-report';
import { newThread, type Thread, type TurnStatus } from '@/utils/threads';

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
function fakeRelay(script: (req: ChatRequest, n: number) => { chunks: string[]; fail?: RelayError; gate?: Promise<void> }) {
  const calls: Call[] = [];
  let open = 0;
  let maxOpen = 0;
  const stream = async function* (req: ChatRequest) {
    const n = calls.push({ req });
    open++;
    maxOpen = Math.max(maxOpen, open);
    try {
      const { chunks, fail, gate } = script(req, n);
      if (gate) await gate;
      for (const c of chunks) {
        if (req.signal?.aborted) throw new RelayError('cancelled', 'Cancelled');
        await new Promise((r) => setTimeout(r, 1));
        yield c;
      }
      if (req.signal?.aborted) throw new RelayError('cancelled', 'Cancelled');
      if (fail) throw fail;
    } finally {
      open--;
    }
  };
  return { stream, calls, get maxOpen() { return maxOpen; } };
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
    settings: async () => ({ ...DEFAULT_SETTINGS, baseUrl: 'https://relay.test', apiKey: 'sk-1', ...settings }),
    stream: relay.stream,
    parse: parseTaskReport,
    onFinished: (_t, turn) => finished.push(turn.status),
  });
  return { writer, runner, statuses, finished };
}

const stored = async (id: string) => (await readThreads([id])).value[0]!;

beforeEach(() => fakeBrowser.reset());

describe('JobRunner', () => {
  it('runs a prompt to a completed video and persists every phase', async () => {
    const relay = fakeRelay((_r, n) => ({ chunks: report(n) }));
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
    const gate = new Promise<void>(() => {});
    const relay = fakeRelay(() => ({ chunks: report(1), gate }));
    const { runner } = await setup(relay, { concurrency: 1 });
    const a = await runner.start('a', 'sora-2', 'popup');
    const b = await runner.start('b', 'sora-2', 'popup');
    await vi.waitFor(() => expect(relay.calls).toHaveLength(1));
    await runner.cancel(b.id, b.turns[0]!.id);
    expect((await stored(b.id)).turns[0]!.status).toBe('cancelled');
    // the fake relay is stuck on its gate: abort must still end the turn
    const aborted = new Promise<void>((r) => relay.calls[0]!.req.signal!.addEventListener('abort', () => r()));
    await runner.cancel(a.id, a.turns[0]!.id);
    await aborted;
    expect(relay.calls).toHaveLength(1);
  });

  it('keeps the relay error kind and message on a failed turn', async () => {
    const relay = fakeRelay(() => ({ chunks: [], fail: new RelayError('auth', 'Invalid API key', { status: 401, serverMessage: 'bad key' }) }));
    const { runner, finished } = await setup(relay);
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'failed', error: { kind: 'auth', status: 401, serverMessage: 'bad key' } });
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

  it('an answer that ends without a video link is a failure, not a success', async () => {
    const relay = fakeRelay(() => ({ chunks: ['> 排队中...\n', '> 生成中.\n'] }));
    const { runner } = await setup(relay);
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    expect((await stored(t.id)).turns[0]).toMatchObject({ status: 'failed', error: { kind: 'protocol' }, content: '> 排队中...\n> 生成中.\n' });
  });

  it('on start-up marks requests that were in flight as interrupted (never re-sends) and starts pending ones', async () => {
    const writer = new ThreadWriter();
    await writer.load();
    const inflight = newThread('was running', 'sora-2', 'popup');
    inflight.turns[0] = { ...inflight.turns[0]!, status: 'generating', progress: 40, taskId: 'task_9', content: '> ID: `task_9`' };
    const waiting = newThread('was waiting', 'sora-2', 'popup');
    await writer.put(inflight, { immediate: true });
    await writer.put(waiting, { immediate: true });

    const relay = fakeRelay((_r, n) => ({ chunks: report(n) }));
    const { runner } = await setup(relay);
    await runner.recover();
    await runner.idle();
    expect((await stored(inflight.id)).turns[0]).toMatchObject({ status: 'interrupted', taskId: 'task_9', progress: 40, content: '> ID: `task_9`' });
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

  it('rejects an empty or over-long prompt and stores nothing', async () => {
    const relay = fakeRelay(() => ({ chunks: [] }));
    const { runner, writer } = await setup(relay);
    await expect(runner.start('   ', 'sora-2', 'popup')).rejects.toThrow(/Write a prompt/);
    await expect(runner.start('x'.repeat(5000), 'sora-2', 'popup')).rejects.toThrow(/too long/);
    expect(writer.entries()).toHaveLength(0);
    expect(relay.calls).toHaveLength(0);
  });
});
