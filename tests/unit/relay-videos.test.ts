// The mock relay's Videos job API, over real HTTP with fetch + FormData as a browser sends them:
// every answer byte for byte against tests/fixtures/jobs, for both flavours.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grok2api, newApi, withBase, type JobAnswer } from '../fixtures/jobs/index';
import { startRelay, type Relay, type VideoJobSpec } from '../relay/index';

const KEY = 'sk-test-relay';
const AUTH = { Authorization: `Bearer ${KEY}` };
const JPG = readFileSync(new URL('../fixtures/media/preview.jpg', import.meta.url));
const PNG = readFileSync(new URL('../fixtures/media/preview.png', import.meta.url));
const MP4 = readFileSync(new URL('../fixtures/media/sample.mp4', import.meta.url));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let relay: Relay;
afterEach(async () => {
  await relay.close();
});

type Part = string | { bytes: Buffer; type: string; filename: string };
function form(parts: Record<string, Part | Part[]>): FormData {
  const fd = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string') fd.append(name, v);
      else fd.append(name, new Blob([new Uint8Array(v.bytes)], { type: v.type }), v.filename);
    }
  }
  return fd;
}

const call = (path: string, init: RequestInit = {}, auth: Record<string, string> = AUTH) =>
  fetch(`${relay.url}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
const create = (body: FormData | object, auth?: Record<string, string>) =>
  call(
    '/v1/videos',
    body instanceof FormData
      ? { method: 'POST', body }
      : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) },
    auth,
  );
const poll = (id: string) => call(`/v1/videos/${id}`);
const content = (id: string, headers: Record<string, string> = {}) => call(`/v1/videos/${id}/content`, { headers });
const remix = (id: string, body: object, auth?: Record<string, string>) =>
  call(`/v1/videos/${id}/remix`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }, auth);

/** What a client sees of an answer: status, Content-Type and the exact text. */
async function seen(res: Response): Promise<{ status: number; type: string | null; text: string }> {
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}
const expected = (a: JobAnswer) => {
  const filled = withBase(a, relay.url);
  return { status: filled.status, type: filled.contentType, text: filled.raw };
};
const idOf = async (res: Response) => ((await res.json()) as { id: string }).id;
/** The fields of a job answer these tests read. */
const jobOf = async (res: Response) => (await res.json()) as { id: string; status: string; created_at: number; completed_at: number };

describe('new-api flavour', () => {
  beforeEach(async () => {
    relay = await startRelay();
  });

  const pinned: VideoJobSpec = { id: newApi.TASK_ID, createdAt: newApi.CREATED_AT, pace: 'polls' };
  const doubao = (extra: Record<string, Part> = {}) =>
    form({ model: newApi.MODEL, prompt: 'A calico cat playing a piano on stage', seconds: '8', ...extra });

  it('creates from multipart as new-api does, and records exactly what was sent', async () => {
    relay.enqueueJob(pinned);
    const res = await create(doubao({ size: '1280x720', input_reference: { bytes: JPG, type: 'image/jpeg', filename: 'ref.jpg' } }));
    expect(await seen(res)).toEqual(expected(newApi.createQueued()));
    const job = relay.videoJobs[0]!;
    expect(job.form?.fields).toEqual({
      model: newApi.MODEL,
      prompt: 'A calico cat playing a piano on stage',
      seconds: '8',
      size: '1280x720',
    });
    expect(job.form?.files).toEqual([
      {
        name: 'input_reference',
        filename: 'ref.jpg',
        contentType: 'image/jpeg',
        size: JPG.length,
        sha256: sha256(JPG),
        image: { format: 'jpeg', width: 160, height: 90 },
      },
    ]);
    expect(job.references.map((f) => f.name)).toEqual(['input_reference']);
    const request = relay.requests.find((r) => r.method === 'POST')!;
    expect([request.kind, request.job, request.body, request.form?.fields.seconds]).toEqual(['videos', newApi.TASK_ID, undefined, '8']);
  });

  it('mints fresh task_ ids and its own clock when nothing is pinned', async () => {
    const before = Math.floor(Date.now() / 1000);
    const a = await jobOf(await create(doubao()));
    const b = await jobOf(await create(doubao()));
    expect(a.id).toMatch(/^task_[0-9A-Za-z]{32}$/);
    expect(b.id).not.toBe(a.id);
    expect(a.created_at).toBeGreaterThanOrEqual(before);
    expect(JSON.stringify(a)).toBe(newApi.createQueued({ id: a.id, createdAt: a.created_at }).raw);
    // Answers keep the fixtures' offsets from the job's own created_at.
    relay.enqueueJob({ pace: 'polls' });
    const c = await jobOf(await create(doubao()));
    await poll(c.id);
    const queued = await jobOf(await poll(c.id));
    expect([queued.status, queued.created_at, queued.completed_at - queued.created_at]).toEqual(['queued', c.created_at, 30]);
  });

  it('takes JSON too, and refuses what new-api refuses in its own words', async () => {
    expect((await create({ model: 'sora-2', prompt: 'a cat', seconds: '4' })).status).toBe(200);
    expect(relay.videoJobs[0]!.json).toEqual({ model: 'sora-2', prompt: 'a cat', seconds: '4' });
    expect(await seen(await create({ model: 'sora-2', prompt: 'a cat', seconds: 8 }))).toEqual(expected(newApi.secondsAsJsonNumber));
    expect(await seen(await create({ model: 'sora-2', prompt: '  ' }))).toEqual(expected(newApi.missingPrompt));
    expect(await seen(await create(form({ model: 'sora-2', prompt: 'x', size: '1024x1024' })))).toEqual(expected(newApi.invalidSize));
    expect((await create(form({ model: 'sora-2-pro', prompt: 'x', size: '1792x1024' }))).status).toBe(200);
    // Distributor errors carry the request id, also sent as a header.
    const noModel = await create(form({ prompt: 'x' }));
    const id = noModel.headers.get('x-oneapi-request-id')!;
    expect(id).toMatch(/^\d{23}[0-9a-f]{8}[0-9A-Za-z]{8}$/);
    expect(await seen(noModel)).toEqual(expected(newApi.missingModel(id)));
    const unserved = await create(form({ model: 'nope', prompt: 'x' }));
    expect(await seen(unserved)).toEqual(expected(newApi.noChannel('nope', 'default', unserved.headers.get('x-oneapi-request-id')!)));
    expect(relay.videoJobs).toHaveLength(2);
  });

  it('answers every status of a converted job byte for byte: unknown, queued 10, in_progress 50, completed with a CDN link', async () => {
    relay.enqueueJob(pinned);
    const id = await idOf(await create(doubao()));
    expect(await seen(await poll(id))).toEqual(expected(newApi.retrieveUnknown));
    expect(await seen(await poll(id))).toEqual(expected(newApi.retrieveQueued()));
    expect(await seen(await poll(id))).toEqual(expected(newApi.retrieveInProgress()));
    const done = await seen(await poll(id));
    const job = relay.videoJobs[0]!;
    expect(done).toEqual(expected(newApi.retrieveCompleted(job.cdnUrl)));
    // The CDN is another origin, and Go writes the query's & as \u0026.
    expect(new URL(job.cdnUrl!).origin).toBe(relay.cdnUrl);
    expect(relay.cdnUrl).not.toBe(relay.url);
    expect(done.text).toContain('X-Tos-Expires=86400\\u0026X-Tos-Signature=');
    expect(job.polls).toBe(4);
  });

  it('plays a job on the clock by default: unknown for the first poll, then rising, completed in about 2.4 s', async () => {
    const id = await idOf(await create(doubao()));
    await new Promise((r) => setTimeout(r, 900));
    const seenStatuses: string[] = [];
    const progress: number[] = [];
    for (let i = 0; i < 60 && seenStatuses.at(-1) !== 'completed'; i++) {
      const body = (await (await poll(id)).json()) as { status: string; progress: number };
      if (seenStatuses.at(-1) !== body.status) seenStatuses.push(body.status);
      progress.push(body.progress);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(seenStatuses).toEqual(['unknown', 'queued', 'in_progress', 'completed']);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('serves /content with the key only once completed: 400 with the row status before, the sample bytes after', async () => {
    relay.enqueueJob({ pace: 'polls' });
    const id = await idOf(await create(doubao()));
    expect(await seen(await content(id))).toEqual(expected(newApi.contentNotReady('NOT_START')));
    await poll(id);
    expect(await seen(await content(id))).toEqual(expected(newApi.contentNotReady('SUBMITTED')));
    await poll(id);
    expect(await seen(await content(id))).toEqual(expected(newApi.contentNotReady('IN_PROGRESS')));
    await poll(id);
    const res = await content(id);
    expect([res.status, res.headers.get('content-type'), res.headers.get('cache-control'), res.headers.get('content-length')]).toEqual([
      200,
      'video/mp4',
      newApi.contentReady.headers!['cache-control'],
      String(MP4.length),
    ]);
    expect(Buffer.from(await res.arrayBuffer()).equals(MP4)).toBe(true);
    const part = await content(id, { Range: 'bytes=100-199' });
    expect([part.status, part.headers.get('content-range')]).toEqual([206, `bytes 100-199/${MP4.length}`]);
    expect(Buffer.from(await part.arrayBuffer()).equals(MP4.subarray(100, 200))).toBe(true);
    expect(relay.videoJobs[0]!.contentRequests).toBe(5);
    expect(relay.requests.filter((r) => r.path.endsWith('/content')).every((r) => r.kind === 'videos')).toBe(true);
    expect(relay.authLeaks()).toEqual([]);
  });

  it('the CDN link needs no key; a key sent there is an auth leak', async () => {
    relay.enqueueJob({ pace: 'polls' });
    const id = await idOf(await create(doubao()));
    for (let i = 0; i < 4; i++) await poll(id);
    const url = ((await (await poll(id)).json()) as { metadata: { url: string } }).metadata.url;
    const res = await fetch(url);
    expect(Buffer.from(await res.arrayBuffer()).equals(MP4)).toBe(true);
    expect(relay.requests.at(-1)).toMatchObject({ kind: 'media', server: 'cdn', path: `/files/${id}.mp4` });
    expect(relay.authLeaks()).toEqual([]);
    await fetch(url, { headers: AUTH });
    expect(relay.authLeaks().map((r) => r.server)).toEqual(['cdn']);
  });

  it("gives metadata.url in each of new-api's forms", async () => {
    const urlOf = async (spec: VideoJobSpec, model = newApi.MODEL) => {
      relay.enqueueJob({ ...spec, pace: 'polls', steps: [{ status: 'completed', progress: 100 }] });
      const id = await idOf(await create(form({ model, prompt: 'x' })));
      return { id, res: await poll(id) };
    };
    const proxy = await urlOf({ videoUrl: 'proxy', id: newApi.TASK_ID, createdAt: newApi.CREATED_AT }, 'MiniMax-Hailuo-02');
    expect(await seen(proxy.res)).toEqual(expected(newApi.retrieveCompletedProxyUrl()));
    const own = await urlOf({ videoUrl: 'proxy-relay' });
    expect(((await own.res.json()) as { metadata: unknown }).metadata).toEqual({ url: `${relay.url}/v1/videos/${own.id}/content` });
    const same = await urlOf({ videoUrl: 'cdn-same-origin' });
    expect(new URL(((await same.res.json()) as { metadata: { url: string } }).metadata.url).origin).toBe(relay.url);
    expect(((await (await urlOf({ videoUrl: 'empty' })).res.json()) as { metadata: unknown }).metadata).toEqual({ url: '' });
    expect(await (await urlOf({ videoUrl: 'none' })).res.json()).not.toHaveProperty('metadata');
  });

  it("fails in each of new-api's shapes, byte for byte", async () => {
    const failed = async (spec: VideoJobSpec, model = newApi.MODEL) => {
      relay.enqueueJob({ ...pinned, ...spec, outcome: 'failed', steps: [{ status: 'failed', progress: 100 }] });
      const id = await idOf(await create(form({ model, prompt: 'x' })));
      return { poll: await seen(await poll(id)), content: await seen(await content(id)) };
    };
    const reason = await failed({});
    expect(reason.poll).toEqual(expected(newApi.retrieveFailed()));
    expect(reason.content).toEqual(expected(newApi.contentNotReady('FAILURE')));
    expect((await failed({ reason: 'quota exhausted', code: 'QuotaExceeded' })).poll).toEqual(
      expected(newApi.retrieveFailed('quota exhausted', 'QuotaExceeded')),
    );
    expect((await failed({ failure: 'no-message' }, 'veo-3.0-generate-001')).poll).toEqual(expected(newApi.retrieveFailedNoMessage));
    expect((await failed({ failure: 'empty-error' })).poll).toEqual(expected(newApi.retrieveFailedEmptyError));
    expect((await failed({ failure: 'reason-as-url' }, 'MiniMax-Hailuo-02')).poll).toEqual(expected(newApi.retrieveFailedReasonAsUrl));
    expect((await failed({ failure: 'no-status' })).poll).toEqual(expected(newApi.passthroughUpstreamError));
  });

  it('passes an OpenAI-shaped upstream through: its nulls, real progress, expires_at', async () => {
    const spec = { ...pinned, channel: 'passthrough', upstreamId: newApi.UPSTREAM_VIDEO_ID } as const;
    relay.enqueueJob(spec, { ...spec, outcome: 'failed' });
    const sent = { model: 'sora-2', prompt: 'A calico cat playing a piano on stage', seconds: '8', size: '1280x720' };
    expect(await seen(await create(form(sent)))).toEqual(expected(newApi.createQueuedPassthrough()));
    const id = newApi.TASK_ID;
    expect(await seen(await poll(id))).toEqual(expected(newApi.retrievePassthrough(newApi.upstreamVideo())));
    expect(await seen(await poll(id))).toEqual(expected(newApi.passthroughInProgress(14)));
    for (const p of [38, 63, 87]) expect(((await (await poll(id)).json()) as { progress: number }).progress).toBe(p);
    expect(await seen(await poll(id))).toEqual(expected(newApi.passthroughCompleted));
    relay.videos.forget(id);
    await create(form(sent));
    for (let i = 0; i < 5; i++) await poll(id);
    expect(await seen(await poll(id))).toEqual(expected(newApi.passthroughFailed));
  });

  it("remixes in three ways: a real remix, the upstream's 404, or a new billed generation", async () => {
    relay.enqueueJob({
      ...pinned,
      channel: 'passthrough',
      upstreamId: newApi.UPSTREAM_VIDEO_ID,
      steps: [{ status: 'completed', progress: 100 }],
    });
    const source = await idOf(await create(form({ model: 'sora-2', prompt: 'a cat', seconds: '8', size: '1280x720' })));
    relay.enqueueJob({ id: newApi.OTHER_TASK_ID, createdAt: newApi.CREATED_AT + 120, pace: 'polls' });
    expect(await seen(await remix(source, { prompt: 'now at night' }))).toEqual(expected(newApi.remixCreated));
    const made = relay.videoJobs.at(-1)!;
    expect([made.remixOf, made.prompt, made.json]).toEqual([source, 'now at night', { prompt: 'now at night' }]);
    expect(await (await poll(made.id)).json()).toMatchObject({
      id: newApi.OTHER_TASK_ID,
      remixed_from_video_id: newApi.UPSTREAM_VIDEO_ID,
      prompt: 'now at night',
    });

    relay.enqueueJob({ remix: 'unsupported' });
    expect(await seen(await remix(source, { prompt: 'again' }))).toEqual(expected(newApi.remixUnsupported()));
    expect(await seen(await remix(source, {}))).toEqual(expected(newApi.remixMissingPrompt));

    relay.videos.forget();
    relay.enqueueJob(pinned);
    const plain = await idOf(await create(doubao()));
    relay.enqueueJob({ remix: 'new-generation', id: newApi.OTHER_TASK_ID, createdAt: newApi.CREATED_AT + 120 });
    expect(await seen(await call(`/v1/videos/${plain}/remix`, { method: 'POST', body: form({ prompt: 'taller' }) }))).toEqual(
      expected(newApi.remixAsNewGeneration),
    );
    expect(relay.videoJobs.at(-1)!.form?.fields).toEqual({ prompt: 'taller' });
    relay.enqueueJob({ remix: 'new-generation' });
    expect(await seen(await remix(plain, { prompt: '' }))).toEqual(expected(newApi.missingPrompt));
    expect(await seen(await remix('task_nope', { prompt: 'x' }))).toEqual(expected(newApi.remixUnknownId));
  });

  it('does not know ids it never made or has forgotten', async () => {
    expect(await seen(await poll('task_nope'))).toEqual(expected(newApi.unknownId));
    expect(await seen(await content('task_nope'))).toEqual(expected(newApi.contentUnknownId));
    relay.enqueueJob({ forgetAfterMs: 100 });
    const id = await idOf(await create(doubao()));
    expect((await poll(id)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 120));
    expect(await seen(await poll(id))).toEqual(expected(newApi.unknownId));
  });

  it('keeps a job running for ever when asked (deadline tests)', async () => {
    relay.enqueueJob({ outcome: 'never', pace: 'polls' });
    const id = await idOf(await create(doubao()));
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push(((await (await poll(id)).json()) as { status: string }).status);
    expect(statuses).toEqual(['unknown', 'queued', ...Array<string>(6).fill('in_progress')]);
    expect((await content(id)).status).toBe(400);
  });

  it('refuses keys as new-api does, on every route, and answers unknown routes before auth', async () => {
    relay.enqueueJob({ pace: 'polls' });
    const id = await idOf(await create(doubao()));
    for (const res of [
      await call(`/v1/videos/${id}`, {}, {}),
      await call(`/v1/videos/${id}/content`, {}, { Authorization: 'Bearer sk-wrong' }),
    ]) {
      const requestId = res.headers.get('x-oneapi-request-id')!;
      expect(await seen(res)).toEqual(expected(newApi.authError(requestId)));
    }
    const zh = await call(`/v1/videos/${id}`, { headers: { 'Accept-Language': 'zh-CN,zh;q=0.9' } }, {});
    expect(await seen(zh)).toEqual(expected(newApi.authError(zh.headers.get('x-oneapi-request-id')!, 'zh-CN')));
    // The key alone, or without its sk- prefix, is accepted too.
    expect((await call(`/v1/videos/${id}`, {}, { Authorization: KEY })).status).toBe(200);
    expect((await call(`/v1/videos/${id}`, {}, { Authorization: 'bearer test-relay' })).status).toBe(200);
    relay.videos.keyRevoked = true;
    expect((await poll(id)).status).toBe(401);
    expect((await remix(id, { prompt: 'x' })).status).toBe(401);
    expect(await seen(await call('/v1/videos', {}, {}))).toEqual(expected(newApi.listUnsupported));
    expect(await seen(await call(`/v1/videos/${id}`, { method: 'DELETE' }, {}))).toEqual(
      expected(newApi.routeNotFound('DELETE', `/v1/videos/${id}`)),
    );
  });

  it('refuses images when the scenario says so, and says the upstream is saturated', async () => {
    relay.setJobScenario({ rejectImages: 'This model takes no reference image' });
    const res = await create(doubao({ input_reference: { bytes: PNG, type: 'image/png', filename: 'a.png' } }));
    const body = (await res.json()) as { code: string; message: string };
    expect([res.status, body.code, (JSON.parse(body.message) as { error: { message: string } }).error.message]).toEqual([
      400,
      'fail_to_fetch_task',
      'This model takes no reference image',
    ]);
    expect((await create({ model: 'sora-2', prompt: 'x', image: 'https://example.com/a.png' })).status).toBe(400);
    expect((await create(doubao())).status).toBe(200);
    relay.setJobScenario({ busy: true });
    expect(await seen(await create(doubao()))).toEqual(expected(newApi.upstreamBusy));
  });

  it('reads only the part named input_reference on converted channels, every file part on passthrough ones', async () => {
    const files = {
      input_reference: { bytes: JPG, type: 'image/jpeg', filename: 'a.jpg' },
      'input_reference[]': { bytes: PNG, type: 'image/png', filename: 'b.png' },
    };
    await create(doubao(files));
    relay.enqueueJob({ channel: 'passthrough' });
    await create(doubao(files));
    expect(relay.videoJobs.map((j) => j.references.map((f) => f.name))).toEqual([
      ['input_reference'],
      ['input_reference', 'input_reference[]'],
    ]);
    expect(relay.videoJobs[1]!.form?.files.map((f) => f.image)).toEqual([
      { format: 'jpeg', width: 160, height: 90 },
      { format: 'png', width: 160, height: 90 },
    ]);
  });

  it('turns away a multipart body it cannot read', async () => {
    const res = await call('/v1/videos', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: 'model=x' });
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect([res.status, body.error.type]).toEqual([400, 'new_api_error']);
    expect(body.error.message).toMatch(/^Invalid request, /);
    expect(relay.videoJobs).toHaveLength(0);
  });
});

describe('grok2api flavour (Python ≤ 2.0.4)', () => {
  beforeEach(async () => {
    relay = await startRelay({ videos: 'grok2api' });
  });

  const i = { id: grok2api.JOB_ID, createdAt: grok2api.CREATED_AT };
  const pinned: VideoJobSpec = { ...i, pace: 'polls' };
  const grok = (extra: Record<string, Part | Part[]> = {}) => form({ model: grok2api.MODEL, prompt: grok2api.PROMPT, ...extra });

  it('creates from a form only, as grok2api does', async () => {
    relay.enqueueJob(pinned);
    expect(await seen(await create(grok()))).toEqual(expected(grok2api.createQueued()));
    const fresh = await jobOf(await create(grok({ seconds: '10', size: '1024x1024' })));
    expect(fresh.id).toMatch(/^video_[0-9a-f]{32}$/);
    expect(JSON.stringify(fresh)).toBe(
      grok2api.createQueued({ id: fresh.id, createdAt: fresh.created_at, seconds: 10, size: '1024x1024' }).raw,
    );
    expect(await seen(await create({ model: grok2api.MODEL, prompt: 'x' }))).toEqual(expected(grok2api.jsonBodyRejected));
    expect(relay.videoJobs).toHaveLength(2);
  });

  it('validates as grok2api does: seconds, size, model, prompt, image parts', async () => {
    expect(await seen(await create(grok({ seconds: '8' })))).toEqual(expected(grok2api.invalidSeconds));
    expect(await seen(await create(grok({ size: '1920x1080' })))).toEqual(expected(grok2api.invalidSize));
    expect(await seen(await create(form({ model: 'grok-4', prompt: 'x' })))).toEqual(expected(grok2api.notVideoModel('grok-4')));
    expect(await seen(await create(form({ prompt: 'x' })))).toEqual(expected(grok2api.jsonBodyRejected));
    expect(((await (await create(form({ model: grok2api.MODEL }))).json()) as { error: unknown }).error).toMatchObject({
      message: 'Field required',
      param: 'prompt',
    });
    const text = { bytes: Buffer.from('not an image'), type: 'text/plain', filename: 'notes.txt' };
    expect(await seen(await create(grok({ 'input_reference[]': text })))).toEqual(expected(grok2api.referenceNotImage));
    expect(relay.videoJobs).toHaveLength(0);
  });

  it('reads reference files only from input_reference[] (at most 7) and ignores input_reference', async () => {
    const jpg = { bytes: JPG, type: 'image/jpeg', filename: 'a.jpg' };
    const ignored = { bytes: Buffer.from('not an image'), type: 'text/plain', filename: 'x.txt' };
    expect((await create(grok({ input_reference: ignored }))).status).toBe(200);
    expect((await create(grok({ 'input_reference[]': Array(9).fill(jpg) }))).status).toBe(200);
    const [plain, many] = relay.videoJobs;
    expect([plain!.references, plain!.form?.files.map((f) => f.name)]).toEqual([[], ['input_reference']]);
    expect([many!.references.length, many!.form?.files.length, many!.references[0]!.sha256]).toEqual([7, 9, sha256(JPG)]);
  });

  it('answers every status byte for byte: queued, real % rising from 1, completed with no URL', async () => {
    relay.enqueueJob({ ...pinned, reach100: true });
    const id = await idOf(await create(grok()));
    expect(await seen(await poll(id))).toEqual(expected(grok2api.retrieveQueued()));
    for (const p of [1, 18, 42, 67, 91, 100]) expect(await seen(await poll(id))).toEqual(expected(grok2api.retrieveInProgress(p)));
    expect(await seen(await poll(id))).toEqual(expected(grok2api.retrieveCompleted()));
  });

  it('serves /content: 409 video_not_ready before, the bytes as an attachment after', async () => {
    relay.enqueueJob(pinned);
    const id = await idOf(await create(grok()));
    expect(await seen(await content(id))).toEqual(expected(grok2api.contentNotReady));
    for (let n = 0; n < 5; n++) await poll(id);
    expect(await seen(await content(id))).toEqual(expected(grok2api.contentNotReady));
    await poll(id);
    const res = await content(id);
    expect([
      res.status,
      res.headers.get('content-type'),
      res.headers.get('content-disposition'),
      res.headers.get('content-length'),
    ]).toEqual([200, grok2api.contentReady(id).contentType, grok2api.contentReady(id).headers!['content-disposition'], String(MP4.length)]);
    expect(Buffer.from(await res.arrayBuffer()).equals(MP4)).toBe(true);
  });

  it('fails with its reason, or with an empty message, progress frozen where it stopped', async () => {
    relay.enqueueJob({ ...pinned, outcome: 'failed', reason: 'Video upstream returned 403' });
    const id = await idOf(await create(grok()));
    for (let n = 0; n < 6; n++) await poll(id);
    expect(await seen(await poll(id))).toEqual(expected(grok2api.retrieveFailed('Video upstream returned 403', 91)));
    expect(await seen(await content(id))).toEqual(expected(grok2api.contentNotReady));
    relay.videos.forget(id);
    relay.enqueueJob({ ...i, outcome: 'failed', failure: 'no-message', steps: [{ status: 'failed', progress: 1 }] });
    await create(grok());
    expect(await seen(await poll(id))).toEqual(expected(grok2api.retrieveFailedNoMessage()));
  });

  it('forgets jobs after its TTL (or a restart): unknown id on retrieve and content', async () => {
    await relay.close();
    relay = await startRelay({ videos: 'grok2api', videoJobTtlMs: 150 });
    relay.enqueueJob({ steps: [{ status: 'completed', progress: 100 }] });
    const id = await idOf(await create(grok()));
    expect((await content(id)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 170));
    expect(await seen(await poll(id))).toEqual(expected(grok2api.unknownId(id)));
    expect(await seen(await content(id))).toEqual(expected(grok2api.unknownId(id)));
    expect(await seen(await poll('video_00000000000000000000000000000000'))).toEqual(expected(grok2api.unknownId()));
  });

  it('has no remix (404 before auth) and no list (405), and refuses keys with 401 or 403', async () => {
    relay.enqueueJob(pinned);
    const id = await idOf(await create(grok()));
    expect(await seen(await remix(id, { prompt: 'x' }, {}))).toEqual(expected(grok2api.remixUnsupported));
    const list = await call('/v1/videos', {}, {});
    expect([await seen(list), list.headers.get('allow')]).toEqual([expected(grok2api.listUnsupported), 'POST']);
    const del = await call(`/v1/videos/${id}`, { method: 'DELETE' }, {});
    expect([del.status, await del.text(), del.headers.get('allow')]).toEqual([405, grok2api.listUnsupported.raw, 'GET']);
    expect(await seen(await call(`/v1/videos/${id}`, {}, {}))).toEqual(expected(grok2api.authError));
    expect(await seen(await call(`/v1/videos/${id}`, {}, { Authorization: 'Bearer sk-wrong' }))).toEqual(expected(grok2api.authInvalidKey));
    expect((await call(`/v1/videos/${id}`, {}, { 'X-API-Key': KEY })).status).toBe(200);
    expect((await call(`/v1/videos/${id}`, {}, { Authorization: `BEARER ${KEY}` })).status).toBe(200);
    relay.videos.keyRevoked = true;
    expect(await seen(await poll(id))).toEqual(expected(grok2api.authInvalidKey));
  });

  it('refuses reference images when the scenario says so', async () => {
    relay.setJobScenario({ rejectImages: true });
    const res = await create(grok({ 'input_reference[]': { bytes: JPG, type: 'image/jpeg', filename: 'a.jpg' } }));
    expect([res.status, ((await res.json()) as { error: { param: string } }).error.param]).toEqual([400, 'input_reference']);
    expect((await create(grok())).status).toBe(200);
  });
});

describe('other flavours, for Test connection', () => {
  it('grok2api 3.x has no POST /v1/videos and answers its own 404 to a probe by id', async () => {
    relay = await startRelay({ videos: 'grok2api-3' });
    expect(await seen(await create(form({ model: 'x', prompt: 'y' })))).toEqual(expected(grok2api.current.notFound));
    expect(await seen(await poll('sora-threads-probe'))).toEqual(expected(grok2api.current.unknownId));
    expect(await seen(await call('/v1/videos/sora-threads-probe', {}, {}))).toEqual(expected(grok2api.current.authError));
  });

  it('a relay without the Videos API answers its generic 404, and flavours switch at run time', async () => {
    relay = await startRelay({ videos: 'none' });
    const res = await poll('sora-threads-probe');
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
    relay.videos.setFlavour('new-api');
    expect(await seen(await poll('sora-threads-probe'))).toEqual(expected(newApi.unknownId));
    expect(() => relay.videos.setFlavour('old-api' as never)).toThrow(/unknown videos flavour/);
    expect(() => relay.setJobScenario({ outcom: 'failed' } as VideoJobSpec)).toThrow(/unknown job scenario key "outcom"/);
  });
});
