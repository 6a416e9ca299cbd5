import { describe, expect, it, vi } from 'vitest';
import { grok2api, newApi, withBase, type JobAnswer } from '../fixtures/jobs';
import { readJob } from '@/utils/jobs/job-state';
import { pollJob } from '@/utils/jobs/poll-job';
import { createJob, JobReadError, readJobState, remixJob, RemixUnsupportedError, videosUrl } from '@/utils/jobs/videos-client';
import { RelayError } from '@/utils/relay/errors';
import { urlOf } from './fetch-input';

const BASE = 'https://relay.example.com';
const KEY = 'sk-test-jobs-0123456789';

interface Sent {
  url: string;
  init: RequestInit;
}

/** A fetch that answers each request with the next fixture answer (its exact bytes), recording what was sent. */
function relayOf(...answers: JobAnswer[]) {
  const sent: Sent[] = [];
  const queue = answers.map((a) => withBase(a, BASE));
  const fetch = vi.fn((url: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: urlOf(url), init: init ?? {} });
    const answer = queue.shift();
    if (!answer) return Promise.reject(new TypeError('Failed to fetch'));
    return Promise.resolve(
      new Response(answer.raw, { status: answer.status, headers: { 'content-type': answer.contentType, ...answer.headers } }),
    );
  });
  return { relay: { baseUrl: BASE, apiKey: KEY, fetch: fetch as unknown as typeof globalThis.fetch }, sent };
}

describe('readJob: every status a relay answers', () => {
  it.each([
    ['new-api unknown (before its first poll)', newApi.retrieveUnknown, { phase: 'queued', progress: 0 }],
    ['new-api queued', newApi.retrieveQueued(10), { phase: 'queued', progress: 10 }],
    ['new-api in_progress', newApi.retrieveInProgress(50), { phase: 'generating', progress: 50 }],
    [
      'new-api completed with a CDN link',
      newApi.retrieveCompleted(),
      { phase: 'completed', progress: 100, videoUrl: expect.stringMatching(/^https:\/\//) as string },
    ],
    [
      'new-api completed with its own /content link',
      newApi.retrieveCompletedProxyUrl(),
      { phase: 'completed', progress: 100, videoUrl: undefined },
    ],
    [
      'new-api failed with a reason',
      newApi.retrieveFailed(),
      { phase: 'failed', failure: 'The request failed because the output video may contain sensitive information.' },
    ],
    ['new-api failed Veo: no error at all', newApi.retrieveFailedNoMessage, { phase: 'failed', failure: undefined }],
    ['new-api failed Kling: empty message and code', newApi.retrieveFailedEmptyError, { phase: 'failed', failure: undefined }],
    ['new-api passthrough error with no status', newApi.passthroughUpstreamError, { phase: 'failed' }],
    ['grok2api queued', grok2api.retrieveQueued(), { phase: 'queued', progress: 0 }],
    ['grok2api in_progress at 100 while downloading', grok2api.retrieveInProgress(100), { phase: 'generating', progress: 99 }],
    [
      'grok2api completed (no URL: /content only)',
      grok2api.retrieveCompleted(),
      { phase: 'completed', progress: 100, videoUrl: undefined },
    ],
    ['grok2api failed', grok2api.retrieveFailed(), { phase: 'failed', failure: 'Video upstream returned 403' }],
    ['grok2api failed with an empty message', grok2api.retrieveFailedNoMessage(), { phase: 'failed', failure: 'video_generation_failed' }],
  ])('%s', (_name, answer, expected) => {
    const state = readJob(JSON.parse(withBase(answer as JobAnswer, BASE).raw));
    // `undefined` in the table means the field must be absent.
    const present = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined));
    expect(state).toMatchObject(present);
    for (const [k, v] of Object.entries(expected)) if (v === undefined) expect(state).not.toHaveProperty(k);
  });

  it('never takes a failure reason from metadata.url, nor a data: or javascript: link as the video', () => {
    const reasonAsUrl = readJob(JSON.parse(withBase(newApi.retrieveFailedReasonAsUrl, BASE).raw));
    expect(reasonAsUrl.videoUrl).toBeUndefined();
    expect(readJob({ id: 'task_1', status: 'completed', metadata: { url: 'data:video/mp4;base64,AAAA' } }).videoUrl).toBeUndefined();
    expect(readJob({ id: 'task_1', status: 'completed', metadata: { url: 'javascript:alert(1)' } }).videoUrl).toBeUndefined();
  });

  it('ignores an id that is not a plain token', () => {
    expect(readJob({ id: '../../etc', status: 'queued' }).id).toBeUndefined();
    expect(readJob({ id: 'x'.repeat(500), status: 'queued' }).id).toBeUndefined();
  });
});

describe('createJob', () => {
  it('sends model, prompt, seconds and size as multipart/form-data with the key, and reads the id', async () => {
    const { relay, sent } = relayOf(newApi.createQueued());
    const job = await createJob(relay, { model: 'veo-3', prompt: 'a fox', seconds: '8', size: '1280x720' });
    expect(job).toMatchObject({ id: newApi.TASK_ID, phase: 'queued' });
    const { url, init } = sent[0]!;
    expect(url).toBe(`${BASE}/v1/videos`);
    expect(init.method).toBe('POST');
    expect(new Headers(init.headers).get('authorization')).toBe(`Bearer ${KEY}`);
    expect(init.redirect).toBe('error');
    expect(init.credentials).toBe('omit');
    const form = init.body as FormData;
    expect([...form.keys()]).toEqual(['model', 'prompt', 'seconds', 'size']);
    expect(form.get('seconds')).toBe('8');
  });

  it('puts reference images in the field the relay reads (grok2api: input_reference[])', async () => {
    const { relay, sent } = relayOf(grok2api.createQueued());
    const blob = new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' });
    await createJob(relay, {
      model: 'grok-imagine-video',
      prompt: 'p',
      images: [{ blob, name: 'first.jpg' }],
      imageField: 'input_reference[]',
    });
    const file = (sent[0]!.init.body as FormData).get('input_reference[]') as File;
    expect(file.name).toBe('first.jpg');
    expect(file.type).toBe('image/jpeg');
  });

  it('reads the relay refusals in its words, with the key hidden', async () => {
    const { relay } = relayOf(newApi.authError());
    const error = await createJob(relay, { model: 'm', prompt: 'p' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).kind).toBe('auth');
    expect((error as RelayError).serverMessage).toMatch(/Invalid token/);
    const seconds = relayOf(grok2api.invalidSeconds);
    const bad = (await createJob(seconds.relay, { model: 'm', prompt: 'p', seconds: '8' }).catch((e: unknown) => e)) as RelayError;
    expect(bad.kind).toBe('bad-request');
    expect(bad.serverMessage).toMatch(/6, 10, 12, 16, 20/);
  });

  it('an answer without a usable id is a protocol failure, not a job to poll', async () => {
    const fetch = vi.fn(() => Promise.resolve(new Response('{"status":"queued"}', { status: 200 }))) as unknown as typeof globalThis.fetch;
    await expect(createJob({ baseUrl: BASE, apiKey: KEY, fetch }, { model: 'm', prompt: 'p' })).rejects.toMatchObject({ kind: 'protocol' });
  });
});

describe('readJobState', () => {
  it.each([
    ['new-api', newApi.unknownId],
    ['grok2api', grok2api.unknownId('video_0000')],
  ])('a forgotten id (%s) is told apart from other errors', async (_name, answer) => {
    const { relay } = relayOf(answer);
    const error = await readJobState(relay, 'task_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobReadError);
    expect((error as JobReadError).problem).toBe('gone');
  });

  it('encodes the id in the path', () => {
    expect(videosUrl(`${BASE}/v1/`, 'a/b?c', 'content')).toBe(`${BASE}/v1/videos/a%2Fb%3Fc/content`);
  });
});

describe('remixJob', () => {
  it('POSTs {prompt} as JSON and reads the new job', async () => {
    const { relay, sent } = relayOf(newApi.remixCreated);
    const job = await remixJob(relay, newApi.TASK_ID, 'make it night');
    expect(sent[0]!.url).toBe(`${BASE}/v1/videos/${newApi.TASK_ID}/remix`);
    expect(sent[0]!.init.body).toBe('{"prompt":"make it night"}');
    expect(job.id).not.toBe(newApi.TASK_ID);
  });

  it.each([
    ['grok2api: no such route', grok2api.remixUnsupported],
    ['new-api: the upstream does not know the id', newApi.remixUnsupported()],
    ['new-api: origin task unknown', newApi.remixUnknownId],
  ])('%s → RemixUnsupportedError', async (_name, answer) => {
    const { relay } = relayOf(answer);
    await expect(remixJob(relay, 'task_1', 'x')).rejects.toBeInstanceOf(RemixUnsupportedError);
  });
});

describe('pollJob', () => {
  const noSleep = async () => {};

  it('follows a job through every status to completed, reporting each step', async () => {
    const { relay } = relayOf(newApi.retrieveUnknown, newApi.retrieveQueued(10), newApi.retrieveInProgress(50), newApi.retrieveCompleted());
    const seen: string[] = [];
    const result = await pollJob(relay, newApi.TASK_ID, { sleep: noSleep, onUpdate: (s) => void seen.push(`${s.phase}:${s.progress}`) });
    expect(result.outcome).toBe('completed');
    expect(seen).toEqual(['queued:0', 'queued:10', 'generating:50']);
  });

  it('waits out network trouble and 5xx, backing off from about 2 s to at most 15 s', async () => {
    const fail = {
      status: 502,
      contentType: 'text/plain',
      body: 'Bad Gateway',
      raw: 'Bad Gateway',
      source: newApi.unknownId.source,
    } as JobAnswer;
    const { relay } = relayOf(fail, fail, fail, fail, fail, fail, fail, fail, newApi.retrieveCompleted());
    const waits: number[] = [];
    const result = await pollJob(relay, 'task_1', {
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
    });
    expect(result.outcome).toBe('completed');
    expect(waits[0]).toBeCloseTo(3_000);
    expect(Math.max(...waits)).toBe(15_000);
  });

  it('a forgotten id ends as lost (gone), a deadline as lost, never by creating again', async () => {
    const gone = relayOf(newApi.retrieveQueued(10), newApi.unknownId);
    expect(await pollJob(gone.relay, 'task_1', { sleep: noSleep })).toMatchObject({ outcome: 'lost', gone: true });
    expect(gone.sent.every((s) => (s.init.method ?? 'GET') === 'GET')).toBe(true);

    let clock = 0;
    const slow = relayOf(...Array.from({ length: 50 }, () => newApi.retrieveQueued(10)));
    const result = await pollJob(slow.relay, 'task_1', {
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
      deadline: 60_000,
    });
    expect(result.outcome).toBe('lost');
    expect(clock).toBeLessThanOrEqual(60_000);
  });

  it("a refused key three times in a row ends the poll with the relay's words, keeping the job", async () => {
    const { relay } = relayOf(newApi.authError(), newApi.authError(), newApi.authError());
    const result = await pollJob(relay, 'task_1', { sleep: noSleep });
    expect(result).toMatchObject({ outcome: 'lost' });
    expect((result as { reason: string }).reason).toMatch(/Invalid token/);
  });
});
