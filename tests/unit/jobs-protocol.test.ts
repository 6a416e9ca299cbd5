import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { chatProtocol } from '@/utils/chat/chat-protocol';
import { parseTaskReport } from '@/utils/chat/report-parser';
import { jobsProtocol, type JobsProtocolOptions } from '@/utils/jobs/jobs-protocol';
import { JobRunner } from '@/utils/runner/runner';
import { DEFAULT_SETTINGS, type Settings } from '@/utils/settings/settings';
import { newThread, type Thread, type Turn } from '@/utils/threads/model';
import { readThreads, ThreadWriter } from '@/utils/threads/store';
import { startRelay, type Relay } from '../relay/index';

/*
 * The Video jobs protocol driven by the real runner against the mock relay over real HTTP: every
 * status sequence, a worker stop between create and poll, remix and its absence, a relay that does
 * not answer, the queue limit, and cancel — never a job created twice.
 */

let relay: Relay;
afterEach(async () => relay.close());
beforeEach(() => fakeBrowser.reset());

/** Polls as fast as the relay moves (pace 'polls' moves one status per poll). */
const FAST: JobsProtocolOptions = { poll: { minDelayMs: 5, maxDelayMs: 20, random: () => 0.5 } };

async function setup(flavour: 'new-api' | 'grok2api', settings: Partial<Settings> = {}, opts: JobsProtocolOptions = FAST) {
  relay = await startRelay({ videos: flavour });
  const writer = new ThreadWriter();
  await writer.load();
  const finished: Turn[] = [];
  const runner = new JobRunner({
    writer,
    settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: relay.url, apiKey: relay.apiKey, protocol: 'jobs', ...settings }),
    protocols: { chat: chatProtocol({ stream: () => (async function* () {})(), parse: parseTaskReport }), jobs: jobsProtocol(opts) },
    onFinished: (_t, turn) => finished.push(turn),
  });
  return { writer, runner, finished };
}

const stored = async (id: string) => (await readThreads([id])).value[0]!;
const creates = () => relay.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos').length;

describe('jobs protocol through the runner', () => {
  it.each(['new-api', 'grok2api'] as const)(
    '%s: created once, polled through every status to completed, its id stored',
    async (flavour) => {
      const { runner, finished } = await setup(flavour);
      relay.setJobScenario({ pace: 'polls' });
      const t = await runner.start('a fox', flavour === 'grok2api' ? 'grok-imagine-video' : 'sora-2', 'popup', {
        seconds: '6',
        size: '720x1280',
      });
      await runner.idle();
      const turn = (await stored(t.id)).turns[0]!;
      expect(turn).toMatchObject({ status: 'completed', progress: 100, jobId: relay.videoJobs[0]!.id, seconds: '6', size: '720x1280' });
      expect(creates()).toBe(1);
      expect(relay.videoJobs[0]!.polls).toBeGreaterThanOrEqual(3);
      expect(finished.map((x) => x.status)).toEqual(['completed']);
    },
  );

  it.each([
    ['a reason', { outcome: 'failed', reason: 'The output may contain sensitive information' }, /sensitive information/],
    ['no words at all (Veo)', { outcome: 'failed', failure: 'no-message' }, /without saying why/],
    ['an error and no status (passthrough)', { outcome: 'failed', failure: 'no-status', channel: 'passthrough' }, /.+/],
  ] as const)("a failed job with %s fails with the relay's words or a clear sentence", async (_name, spec, words) => {
    const { runner } = await setup('new-api');
    relay.setJobScenario({ pace: 'polls', ...spec });
    const t = await runner.start('x', 'sora-2', 'popup');
    await runner.idle();
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn.status).toBe('failed');
    expect(turn.error?.message).toMatch(words);
    expect(creates()).toBe(1);
  });

  it('a worker stopped between create and poll: the next one polls the stored id and creates nothing', async () => {
    await setup('new-api');
    relay.setJobScenario({ pace: 'polls' });
    // What a stopped worker left: the job created on the relay, its id stored, the turn in flight.
    const made = await fetch(`${relay.url}/v1/videos`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${relay.apiKey}` },
      body: (() => {
        const f = new FormData();
        f.append('model', 'sora-2');
        f.append('prompt', 'left in flight');
        return f;
      })(),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const base = newThread('left in flight', 'sora-2', 'popup');
    const thread: Thread = {
      ...base,
      protocol: 'jobs',
      turns: [{ ...base.turns[0], status: 'queued', startedAt: Date.now(), jobId: made.id }],
    };
    await fakeBrowser.storage.local.set({ [`thread:${thread.id}`]: thread });
    const fresh = new ThreadWriter();
    await fresh.load();
    const again = new JobRunner({
      writer: fresh,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: relay.url, apiKey: relay.apiKey, protocol: 'jobs' }),
      protocols: { chat: chatProtocol({ stream: () => (async function* () {})(), parse: parseTaskReport }), jobs: jobsProtocol(FAST) },
    });
    await again.recover();
    await again.idle();
    expect((await stored(thread.id)).turns[0]).toMatchObject({ status: 'completed', jobId: made.id });
    expect(creates()).toBe(1);
  });

  it('a turn in flight without a job id (the worker stopped during the create) is interrupted, never created again', async () => {
    relay = await startRelay({ videos: 'new-api' });
    const base = newThread('lost create', 'sora-2', 'popup');
    const thread: Thread = { ...base, protocol: 'jobs', turns: [{ ...base.turns[0], status: 'queued', startedAt: Date.now() }] };
    await fakeBrowser.storage.local.set({ [`thread:${thread.id}`]: thread });
    const writer = new ThreadWriter();
    await writer.load();
    const runner = new JobRunner({
      writer,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: relay.url, apiKey: relay.apiKey, protocol: 'jobs' }),
      protocols: { chat: chatProtocol({ stream: () => (async function* () {})(), parse: parseTaskReport }), jobs: jobsProtocol(FAST) },
    });
    await runner.recover();
    await runner.idle();
    const turn = (await stored(thread.id)).turns[0]!;
    expect(turn.status).toBe('interrupted');
    expect(turn.error?.message).toMatch(/dashboard/);
    expect(creates()).toBe(0);
  });

  it('grok2api has no remix: the modification fails saying so, and Retry makes a new video from the words', async () => {
    const { runner } = await setup('grok2api');
    relay.setJobScenario({ pace: 'polls' });
    const t = await runner.start('a cat', 'grok-imagine-video', 'popup', { seconds: '6' });
    await runner.idle();
    const v2 = await runner.modify(t.id, 'now at night');
    await runner.idle();
    expect((await stored(t.id)).turns[1]).toMatchObject({ status: 'failed', error: { kind: 'remix-unsupported' } });
    expect(creates()).toBe(1);
    const { turnId } = await runner.retry(t.id, v2.id);
    await runner.idle();
    const v3 = (await stored(t.id)).turns.find((x) => x.id === turnId)!;
    expect(v3).toMatchObject({ status: 'completed', fresh: true, seconds: '6' });
    expect(creates()).toBe(2);
    expect(relay.videoJobs[1]!.prompt).toBe('now at night');
    expect(relay.videoJobs[1]!.remixOf).toBeUndefined();
  });

  it("new-api remix: the new version is the relay's remix of the previous job", async () => {
    const { runner } = await setup('new-api');
    relay.setJobScenario({ pace: 'polls' });
    const t = await runner.start('a dog', 'sora-2', 'popup');
    await runner.idle();
    await runner.modify(t.id, 'in the snow');
    await runner.idle();
    const turns = (await stored(t.id)).turns;
    expect(turns[1]).toMatchObject({ status: 'completed' });
    expect(relay.videoJobs[1]!.remixOf).toBe(turns[0]!.jobId);
    expect(creates()).toBe(1);
  });

  it('a relay that stops answering while polled: interrupted with the job id once the stall timeout passes', async () => {
    const { runner } = await setup('new-api', { stallTimeoutMin: 0.005 }); // 300 ms
    relay.setJobScenario({ outcome: 'never' });
    const t = await runner.start('unreachable', 'sora-2', 'popup');
    await expect.poll(async () => (await stored(t.id)).turns[0]!.jobId, { timeout: 5_000 }).toBeDefined();
    await relay.close();
    await runner.idle();
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn.status).toBe('interrupted');
    expect(turn.error?.message).toContain(turn.jobId!);
    relay = await startRelay();
  });

  it('a create that gets no answer is interrupted (the relay may have made it), not failed, and not sent again', async () => {
    const hang: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const { runner } = await setup('new-api', {}, { ...FAST, fetch: hang, timeoutMs: 100 });
    const t = await runner.start('no answer', 'sora-2', 'popup');
    await runner.idle();
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn.status).toBe('interrupted');
    expect(turn.error?.message).toMatch(/may still have created/);
  });

  it('"Videos at once" counts jobs running on the relay: with a limit of 1 the second waits', async () => {
    const { runner } = await setup('new-api', { concurrency: 1 });
    // A long job: thirty polls in progress, then done.
    const steps = [
      ...Array.from({ length: 30 }, (_, i) => ({ status: 'in_progress' as const, progress: i + 1, polls: 1 })),
      { status: 'completed' as const, progress: 100 },
    ];
    relay.setJobScenario({ pace: 'polls', steps });
    await runner.start('first', 'sora-2', 'popup');
    await runner.start('second', 'sora-2', 'popup');
    // The first job is on its way on the relay (polled, not done): the second is not created yet.
    await expect.poll(() => relay.videoJobs[0]?.polls ?? 0).toBeGreaterThanOrEqual(2);
    expect(relay.videos.statusOf(relay.videoJobs[0]!)?.status).toBe('in_progress');
    expect(relay.videoJobs).toHaveLength(1);
    await runner.idle();
    expect(relay.videoJobs).toHaveLength(2);
  });

  it('a cancel while the create is on its way keeps the job id the relay answered with', async () => {
    // The relay takes its time to answer the create; the user cancels meanwhile.
    let created!: () => void;
    const answered = new Promise<void>((r) => (created = r));
    const slowCreate: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (init?.method === 'POST') {
        created();
        await new Promise((r) => setTimeout(r, 200));
      }
      return res;
    };
    const { runner } = await setup('new-api', {}, { ...FAST, fetch: slowCreate });
    relay.setJobScenario({ outcome: 'never' });
    const t = await runner.start('cancel me', 'sora-2', 'popup');
    await answered;
    await runner.cancel(t.id, t.turns[0].id);
    await runner.idle();
    const turn = (await stored(t.id)).turns[0]!;
    expect(turn.status).toBe('cancelled');
    expect(turn.jobId).toBe(relay.videoJobs[0]!.id);
    // Nothing was asked of the job after the cancel.
    expect(relay.videoJobs[0]!.polls).toBe(0);
  });
});
