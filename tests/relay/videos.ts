/**
 * The mock relay's OpenAI Videos job API (`/v1/videos…`), on the same server as the chat API,
 * answering as QuantumNous/new-api or chenyme/grok2api (Python ≤ 2.0.4) answer, with the exact
 * bodies of tests/fixtures/jobs (ids, models and times of the job filled in).
 *
 * ── How a test uses it ─────────────────────────────────────────────────────────────────────
 *   const relay = await startRelay({ videos: 'grok2api' });   // default 'new-api'
 *   relay.videos.flavour = 'new-api';                          // switch at any time
 *   relay.setJobScenario({ outcome: 'failed', reason: 'quota' }); // every next job…
 *   relay.enqueueJob({ failure: 'no-message', outcome: 'failed' }, { pace: 'polls' }); // …or the next ones, in order
 *   // every POST /v1/videos and …/remix that passes validation takes one spec (queue first).
 *
 *   relay.videoJobs[0].form?.fields.seconds            // '8': what the extension sent
 *   relay.videoJobs[0].form?.files[0]                  // {name:'input_reference', filename, contentType, size, sha256, image:{format,width,height}}
 *   relay.videoJobs[0].references                      // the files this flavour read (grok2api: input_reference[] only)
 *   relay.videoJobs[0].polls                           // GET /v1/videos/{id} count
 *   relay.videos.statusOf(job)                         // {status, progress} now, without counting a poll
 *   relay.requests.filter((r) => r.kind === 'videos')  // every API call, /content included (it carries the key)
 *   relay.authLeaks()                                  // non-API requests (CDN, media) that carried Authorization
 *   relay.videos.forget(id?)                           // the relay loses the job(s): unknown id from now on
 *   relay.videos.keyRevoked = true                     // the key is refused on every route (exhausted token)
 *   relay.videos.jobTtlMs                              // grok2api forgets jobs this long after creation (3600 s)
 *   relay.expireLinks(); relay.links.ttlMs = 60_000    // handed-out media links die (403, or 404 via links.expiredStatus)
 *   contentBytes(spec.content)                         // the exact bytes /content and the CDN link serve
 *
 * Over HTTP (npm run relay, demo): POST /__relay/videos/flavour {"flavour":"grok2api"},
 * /__relay/videos/scenario {spec}, /__relay/videos/enqueue [spec…], /__relay/videos/forget
 * {"id"?}, /__relay/videos/key {"revoked":true}, /__relay/expire-links, /__relay/links
 * {"ttlMs":…, "status":404}; GET /__relay/videos/jobs.
 *
 * Job scenarios (VideoJobSpec in videos-spec.ts): outcome completed | failed | never;
 * failure reason | no-message | empty-error | reason-as-url | no-status; new-api channel
 * converted | passthrough and videoUrl cdn | cdn-same-origin | proxy | proxy-relay | empty |
 * none; remix supported | unsupported | new-generation; pace time | polls, slow, steps;
 * reach100; forgetAfterMs; rejectImages; busy; content {sizeBytes, chunkBytes, chunkDelayMs,
 * dropAfterBytes, drops, ranges}; contentAfterLinkExpiry; id / createdAt / upstreamId to pin
 * an answer to the fixture's bytes. Timestamps in answers keep the fixtures' offsets from
 * created_at (completed_at = created_at + 95 …), whatever the mock's own pace.
 *
 * The CDN (metadata.url with videoUrl 'cdn') is the same relay listening on a second port
 * under another host name (`relay.cdnUrl`, http://localhost:PORT when the API is on
 * 127.0.0.1): another origin, so a client must fetch it without the key.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaLinks } from './links';
import type { RecordedFile, RecordedForm } from './multipart';
import { serveContent } from './videos-content';
import { scriptFor, toJobSpec, VIDEO_FLAVOURS, type JobStatus, type JobStep, type VideoFlavour, type VideoJobSpec } from './videos-spec';
import { grok2apiVideos, grok2api3Videos } from './videos-grok2api';
import { ALNUM, HEX, randomFrom, type VideoRequest } from './videos-http';
import { newApiVideos } from './videos-new-api';

export { isVideosPath, videoRoute } from './videos-http';
export type { VideoRequest } from './videos-http';
export type { VideoFlavour, VideoJobSpec, JobStep, JobStatus } from './videos-spec';

/** A job as the relay keeps it. Plain data, so /__relay/state can show it. */
export interface VideoJob {
  id: string;
  flavour: VideoFlavour;
  spec: VideoJobSpec;
  channel: 'converted' | 'passthrough';
  model: string;
  prompt: string;
  seconds?: string;
  size?: string;
  /** The form as sent (multipart or url-encoded creates). */
  form?: RecordedForm;
  /** The JSON body as sent (new-api JSON creates, remixes). */
  json?: unknown;
  /** The reference images this flavour read from the request. */
  references: RecordedFile[];
  /** The job this one was made from by POST …/remix. */
  remixOf?: string;
  /** Unix seconds, as the answers say it. */
  createdAt: number;
  createdAtMs: number;
  /** new-api passthrough: the upstream's own id (remixed_from_video_id points at it). */
  upstreamId: string;
  /** The CDN link metadata.url gives once completed (new-api, videoUrl cdn*). */
  cdnUrl?: string;
  polls: number;
  contentRequests: number;
  steps: JobStep[];
  step: number;
  stepStartedAt: number;
  stepPolls: number;
  lastPollAt: number;
  dropsLeft: number;
  forgotten: boolean;
}

/** What the Videos API needs from the relay it runs on. */
export interface VideoHost {
  url: string;
  cdnUrl: string;
  apiKey: string;
  videoModels: readonly string[];
  links: MediaLinks;
}

export class VideoApi {
  flavour: VideoFlavour;
  /** The key is refused on every route, right or wrong (an exhausted or deleted token). */
  keyRevoked = false;
  /** grok2api keeps jobs in memory this long after creation (video.py: 3600 s). */
  jobTtlMs: number;
  readonly jobs: VideoJob[] = [];
  private scenario: VideoJobSpec = {};
  private queue: VideoJobSpec[] = [];
  private readonly initial: { flavour: VideoFlavour; jobTtlMs: number };

  constructor(
    readonly host: VideoHost,
    opts: { flavour?: VideoFlavour; jobTtlMs?: number } = {},
  ) {
    this.flavour = checkFlavour(opts.flavour ?? 'new-api');
    this.jobTtlMs = opts.jobTtlMs ?? 3_600_000;
    this.initial = { flavour: this.flavour, jobTtlMs: this.jobTtlMs };
  }

  setFlavour(flavour: VideoFlavour): void {
    this.flavour = checkFlavour(flavour);
  }

  /** The spec of every job whose request finds the queue empty. */
  setScenario(spec: VideoJobSpec): void {
    this.scenario = toJobSpec(spec);
  }

  enqueue(...specs: VideoJobSpec[]): void {
    this.queue.push(...specs.map((s) => toJobSpec(s)));
  }

  get currentScenario(): VideoJobSpec {
    return this.scenario;
  }

  get queued(): readonly VideoJobSpec[] {
    return this.queue;
  }

  takeSpec(): VideoJobSpec {
    return this.queue.shift() ?? this.scenario;
  }

  /** Back to the initial flavour and scenario, key accepted; jobs stay. */
  reset(): void {
    this.flavour = this.initial.flavour;
    this.jobTtlMs = this.initial.jobTtlMs;
    this.scenario = {};
    this.queue = [];
    this.keyRevoked = false;
  }

  /** Answers a /v1/videos… request; false when this flavour has no Videos API (the relay's own 404). */
  async handle(r: VideoRequest): Promise<boolean> {
    if (this.flavour === 'none') return false;
    if (this.flavour === 'new-api') await newApiVideos(this, r);
    else if (this.flavour === 'grok2api') await grok2apiVideos(this, r);
    else grok2api3Videos(this, r);
    return true;
  }

  createJob(o: {
    spec: VideoJobSpec;
    flavour: VideoFlavour;
    channel?: 'converted' | 'passthrough';
    model: string;
    prompt: string;
    seconds?: string;
    size?: string;
    form?: RecordedForm;
    json?: unknown;
    references?: RecordedFile[];
    remixOf?: string;
  }): VideoJob {
    const now = Date.now();
    const { spec } = o;
    const id = spec.id ?? (o.flavour === 'grok2api' ? `video_${randomFrom(HEX, 32)}` : `task_${randomFrom(ALNUM, 32)}`);
    const channel = o.channel ?? spec.channel ?? 'converted';
    const url = spec.videoUrl ?? 'cdn';
    const signed = `/files/${id}.mp4?X-Tos-Expires=86400&X-Tos-Signature=${randomFrom(HEX, 40)}`;
    const job: VideoJob = {
      id,
      flavour: o.flavour,
      spec,
      channel,
      model: o.model,
      prompt: o.prompt,
      ...(o.seconds !== undefined ? { seconds: o.seconds } : {}),
      ...(o.size !== undefined ? { size: o.size } : {}),
      ...(o.form ? { form: o.form } : {}),
      ...(o.json !== undefined ? { json: o.json } : {}),
      references: o.references ?? [],
      ...(o.remixOf ? { remixOf: o.remixOf } : {}),
      createdAt: spec.createdAt ?? Math.floor(now / 1000),
      createdAtMs: now,
      upstreamId: spec.upstreamId ?? `video_${randomFrom(HEX, 48)}`,
      ...(o.flavour === 'new-api' && channel === 'converted' && (url === 'cdn' || url === 'cdn-same-origin')
        ? { cdnUrl: `${url === 'cdn' ? this.host.cdnUrl : this.host.url}${signed}` }
        : {}),
      polls: 0,
      contentRequests: 0,
      steps: scriptFor(o.flavour, { ...spec, channel }),
      step: 0,
      stepStartedAt: now,
      stepPolls: 0,
      lastPollAt: 0,
      dropsLeft: spec.content?.drops ?? 1,
      forgotten: false,
    };
    this.jobs.push(job);
    return job;
  }

  /** The job as the relay still knows it: undefined once forgotten (TTL, forget(), unknown id). */
  find(id: string, now = Date.now()): VideoJob | undefined {
    // Jobs belong to the flavour that made them: switching flavours is switching relays.
    // The newest first: a test may pin an id again after forgetting its first job.
    const job = [...this.jobs].reverse().find((j) => j.id === id && j.flavour === this.flavour);
    if (!job || job.forgotten) return undefined;
    const ttl = job.spec.forgetAfterMs ?? (job.flavour === 'grok2api' ? this.jobTtlMs : undefined);
    if (ttl !== undefined && now - job.createdAtMs >= ttl) job.forgotten = true;
    return job.forgotten ? undefined : job;
  }

  /** Forget one job, or every job (a grok2api restart). */
  forget(id?: string): void {
    for (const job of this.jobs) if (id === undefined || job.id === id) job.forgotten = true;
  }

  /** The job's step now, without counting a poll. */
  current(job: VideoJob, now = Date.now()): JobStep {
    this.advance(job, now);
    return job.steps[job.step]!;
  }

  statusOf(job: VideoJob | string): { status: JobStatus; progress: number } | undefined {
    const j = typeof job === 'string' ? this.jobs.find((x) => x.id === job) : job;
    if (!j) return undefined;
    const { status, progress } = this.current(j);
    return { status, progress };
  }

  /** A GET /v1/videos/{id}: the step it answers, then the poll counts toward leaving it. */
  poll(job: VideoJob, now = Date.now()): JobStep {
    const step = this.current(job, now);
    job.polls += 1;
    job.stepPolls += 1;
    job.lastPollAt = now;
    return step;
  }

  private advance(job: VideoJob, now: number): void {
    while (job.step < job.steps.length - 1) {
      const s = job.steps[job.step]!;
      const ms = s.ms ?? 0;
      const polls = s.polls ?? 0;
      if (now - job.stepStartedAt < ms || job.stepPolls < polls) return;
      job.stepStartedAt = Math.max(job.stepStartedAt + ms, polls > 0 ? job.lastPollAt : 0);
      job.step += 1;
      job.stepPolls = 0;
      // A signed CDN link is minted when the provider finishes: its lifetime starts there.
      if (job.steps[job.step]!.status === 'completed' && job.cdnUrl) this.host.links.issue(job.cdnUrl, job.stepStartedAt);
    }
  }

  /** Serves `/files/{jobId}.mp4` (the CDN link) with the job's own bytes; false when no job has that id. */
  async serveFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const m = /^\/files\/([\w-]+)\.mp4$/.exec(path);
    const job = m ? this.jobs.find((j) => j.id === m[1]) : undefined;
    if (!job) return false;
    await serveContent(req, res, job.spec.content ?? {}, { 'Content-Type': 'video/mp4', 'Cache-Control': 'private, max-age=86400' }, job);
    return true;
  }
}

function checkFlavour(flavour: unknown): VideoFlavour {
  if (!(VIDEO_FLAVOURS as readonly unknown[]).includes(flavour))
    throw new Error(`unknown videos flavour ${JSON.stringify(flavour)}; known: ${VIDEO_FLAVOURS.join(', ')}`);
  return flavour as VideoFlavour;
}
