// The mock relay's media that outlives or dies with its links: large /content bodies with
// Range, pace and cuts (download and resume tests), expiring links (chat files and job CDN
// links) while keyed /content keeps working, and the /__relay/ controls for all of it.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRelay, contentBytes, type Relay, type VideoJobSpec } from '../relay/index';

const KEY = 'sk-test-relay';
const AUTH = { Authorization: `Bearer ${KEY}` };
const MP4 = readFileSync(new URL('../fixtures/media/sample.mp4', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let relay: Relay;
afterEach(async () => {
  await relay.close();
});

/** A job that is already completed, made through the API as a client would. */
async function finishedJob(spec: VideoJobSpec = {}, model = 'sora-2'): Promise<string> {
  relay.enqueueJob({ steps: [{ status: 'completed', progress: 100 }], ...spec });
  const fd = new FormData();
  fd.append('model', relay.videos.flavour === 'grok2api' ? 'grok-imagine-video' : model);
  fd.append('prompt', 'a cat');
  const res = await fetch(`${relay.url}/v1/videos`, { method: 'POST', headers: AUTH, body: fd });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}
const content = (id: string, headers: Record<string, string> = {}) =>
  fetch(`${relay.url}/v1/videos/${id}/content`, { headers: { ...AUTH, ...headers } });
const cdnLink = async (id: string) =>
  ((await (await fetch(`${relay.url}/v1/videos/${id}`, { headers: AUTH })).json()) as { metadata: { url: string } }).metadata.url;

describe('large /content bodies', () => {
  beforeEach(async () => {
    relay = await startRelay();
  });

  it('serves N bytes that are still a valid mp4: the sample, then one free box of a pattern no chunking can fake', async () => {
    const opts = { sizeBytes: 3 * 1024 * 1024 + 17, chunkBytes: 100_000 };
    const id = await finishedJob({ content: opts });
    const expected = contentBytes(opts);
    expect(expected.length).toBe(opts.sizeBytes);
    expect(expected.subarray(0, MP4.length).equals(MP4)).toBe(true);
    expect([expected.readUInt32BE(MP4.length), expected.toString('latin1', MP4.length + 4, MP4.length + 8)]).toEqual([
      opts.sizeBytes - MP4.length,
      'free',
    ]);
    // Shifted by one byte the pattern differs: a resume at a wrong offset cannot pass.
    expect(expected.subarray(MP4.length + 8, MP4.length + 1008).equals(expected.subarray(MP4.length + 9, MP4.length + 1009))).toBe(false);

    const res = await content(id);
    expect(res.headers.get('content-length')).toBe(String(opts.sizeBytes));
    expect(Buffer.from(await res.arrayBuffer()).equals(expected)).toBe(true);
    const tail = await content(id, { Range: `bytes=2000000-` });
    expect([tail.status, tail.headers.get('content-range')]).toEqual([206, `bytes 2000000-${opts.sizeBytes - 1}/${opts.sizeBytes}`]);
    expect(Buffer.from(await tail.arrayBuffer()).equals(expected.subarray(2_000_000))).toBe(true);
    // The CDN link serves the same bytes.
    const cdn = await fetch(await cdnLink(id));
    expect(Buffer.from(await cdn.arrayBuffer()).equals(expected)).toBe(true);
  });

  it('cuts the first download mid-body; a Range resume from what arrived completes the exact bytes', async () => {
    const opts = { sizeBytes: 1_000_000, chunkBytes: 65_536, dropAfterBytes: 300_000 };
    const id = await finishedJob({ content: opts });
    const first = await content(id);
    expect(first.status).toBe(200);
    const got: Buffer[] = [];
    const reader = first.body!.getReader();
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          got.push(Buffer.from(value));
        }
      })(),
    ).rejects.toThrow();
    const head = Buffer.concat(got);
    expect(head.length).toBe(300_000);
    const rest = await content(id, { Range: `bytes=${head.length}-` });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([head, Buffer.from(await rest.arrayBuffer())]).equals(contentBytes(opts))).toBe(true);
  });

  it('can ignore Range like an upstream without it, and pace its chunks', async () => {
    const id = await finishedJob({ content: { ranges: false, chunkBytes: 2048, chunkDelayMs: 5 } });
    const res = await content(id, { Range: 'bytes=0-99' });
    expect([res.status, res.headers.get('accept-ranges')]).toEqual([200, null]);
    expect(Buffer.from(await res.arrayBuffer()).equals(MP4)).toBe(true);
    expect(() => contentBytes({ sizeBytes: 10 })).toThrow(/sizeBytes/);
  });
});

describe('expiring links', () => {
  it("a chat job's files die on command with 403 (or 404), and later jobs' files live", async () => {
    relay = await startRelay();
    const chat = async () => {
      relay.setScenario({ name: 'compact', slow: 0 });
      const res = await fetch(`${relay.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'sora-2', stream: true, messages: [{ role: 'user', content: 'a cat' }] }),
      });
      await res.text();
      return relay.jobs.at(-1)!.links;
    };
    const old = await chat();
    expect((await fetch(old.video)).status).toBe(200);
    relay.expireLinks();
    const dead = await fetch(old.video);
    expect([dead.status, dead.headers.get('content-type')]).toEqual([403, 'application/xml']);
    expect(await dead.text()).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');
    expect((await fetch(old.preview)).status).toBe(403);
    const fresh = await chat();
    expect((await fetch(fresh.video)).status).toBe(200);
    relay.links.expiredStatus = 404;
    expect((await fetch(old.video)).status).toBe(404);
    // A reset brings the old links back (a fresh relay state), as before expiry.
    relay.reset();
    expect((await fetch(old.video)).status).toBe(200);
  });

  it('links die by themselves after linkTtlMs; a link never handed out starts its life when first asked for', async () => {
    relay = await startRelay({ linkTtlMs: 200 });
    const url = `${relay.url}/tmp/0123456789abcdef.mp4`;
    expect((await fetch(url)).status).toBe(200);
    await sleep(120);
    expect((await fetch(url)).status).toBe(200);
    await sleep(100);
    expect((await fetch(url)).status).toBe(403);
  });

  it("a job's CDN link expires while /content with the key keeps serving (new-api)", async () => {
    relay = await startRelay();
    const id = await finishedJob();
    const link = await cdnLink(id);
    expect((await fetch(link)).status).toBe(200);
    relay.expireLinks();
    expect((await fetch(link)).status).toBe(403);
    const res = await content(id);
    expect([res.status, Buffer.from(await res.arrayBuffer()).equals(MP4)]).toEqual([200, true]);
    expect(relay.authLeaks()).toEqual([]);
  });

  it('or, as new-api really proxies the stored CDN link, /content fails with the link (502)', async () => {
    relay = await startRelay();
    const id = await finishedJob({ contentAfterLinkExpiry: 'upstream-error' });
    await cdnLink(id);
    expect((await content(id)).status).toBe(200);
    relay.expireLinks();
    const res = await content(id);
    expect([res.status, await res.json()]).toEqual([
      502,
      { error: { message: 'Upstream service returned status 403', type: 'server_error' } },
    ]);
  });

  it("a CDN link's life starts when the job completes, not when the job was created", async () => {
    relay = await startRelay({ linkTtlMs: 150 });
    relay.enqueueJob({
      steps: [
        { status: 'queued', progress: 0, ms: 200 },
        { status: 'completed', progress: 100 },
      ],
    });
    const fd = new FormData();
    fd.append('model', 'sora-2');
    fd.append('prompt', 'a cat');
    const id = ((await (await fetch(`${relay.url}/v1/videos`, { method: 'POST', headers: AUTH, body: fd })).json()) as { id: string }).id;
    await sleep(260);
    const link = await cdnLink(id);
    expect((await fetch(link)).status).toBe(200);
    await sleep(150);
    expect((await fetch(link)).status).toBe(403);
  });

  it("grok2api's /content stops with the job's TTL", async () => {
    relay = await startRelay({ videos: 'grok2api', videoJobTtlMs: 100 });
    const id = await finishedJob();
    expect((await content(id)).status).toBe(200);
    await sleep(120);
    expect((await content(id)).status).toBe(400);
  });
});

describe('/__relay/ controls for the Videos API and links', () => {
  beforeEach(async () => {
    relay = await startRelay();
  });
  const control = (action: string, body?: unknown, method = 'POST') =>
    fetch(`${relay.url}/__relay/${action}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  it('switches flavour, sets and queues job scenarios, lists, forgets and revokes, as curl -d sends them', async () => {
    expect((await control('videos/flavour', { flavour: 'grok2api' })).status).toBe(200);
    expect(relay.videos.flavour).toBe('grok2api');
    expect((await control('videos/flavour', { flavour: 'nope' })).status).toBe(400);
    await control('videos/scenario', { outcome: 'failed', reason: 'quota' });
    expect(relay.videos.currentScenario).toEqual({ outcome: 'failed', reason: 'quota' });
    const typo = await control('videos/scenario', { outcom: 'failed' });
    expect([typo.status, ((await typo.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      expect.stringContaining('unknown job scenario key "outcom"'),
    ]);
    await control('videos/enqueue', [{ pace: 'polls' }, { outcome: 'never' }]);
    expect(relay.videos.queued).toEqual([{ pace: 'polls' }, { outcome: 'never' }]);
    relay.videos.takeSpec();
    relay.videos.takeSpec();
    const id = await finishedJob();
    const jobs = (await (await control('videos/jobs', undefined, 'GET')).json()) as { id: string; status: string }[];
    expect(jobs.map((j) => [j.id, j.status])).toEqual([[id, 'completed']]);
    await control('videos/key', { revoked: true });
    expect((await content(id)).status).toBe(403);
    await control('videos/key', { revoked: false });
    await control('videos/forget', { id });
    expect((await content(id)).status).toBe(400);
    const state = (await (await control('state', undefined, 'GET')).json()) as { videos: { flavour: string }; videoJobs: unknown[] };
    expect([state.videos.flavour, state.videoJobs.length]).toEqual(['grok2api', 1]);
    await control('reset');
    expect([relay.videos.flavour, relay.videos.queued.length]).toEqual(['new-api', 0]);
  });

  it('expires links and sets their lifetime and answer', async () => {
    const link = `${relay.url}/files/task_x.mp4`;
    expect((await fetch(link)).status).toBe(200);
    await control('expire-links');
    expect((await fetch(link)).status).toBe(403);
    const set = await control('links', { ttlMs: 60_000, status: 404 });
    expect(await set.json()).toEqual({ ok: true, ttlMs: 60_000, status: 404 });
    expect((await fetch(link)).status).toBe(404);
    expect((await control('links', { status: 500 })).status).toBe(400);
  });
});
