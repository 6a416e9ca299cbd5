/*
 * The "new-api" flavour: QuantumNous/new-api's /v1/videos routes, answered with the fixtures of
 * tests/fixtures/jobs/new-api.ts. Fixture answers that name the fixture's own task (id,
 * model, times) are re-aimed at the job: same keys, same order, same encoder (Go's
 * encoding/json for converted answers, the upstream's bytes for passthrough ones).
 */
import type { IncomingMessage } from 'node:http';
import { goJson, newApi, type JobAnswer } from '../fixtures/jobs/index';
import type { TaskRowStatus } from '../fixtures/jobs/new-api';
import type { RecordedFile } from './multipart';
import { serveContent } from './videos-content';
import { ALNUM, HEX, randomFrom, sendAnswer, type VideoRequest } from './videos-http';
import type { JobStep } from './videos-spec';
import type { VideoApi, VideoJob } from './videos';

/** Models with a fixture of their own, served besides the relay's list so those answers can be pinned. */
export const NEW_API_FIXTURE_MODELS = [newApi.MODEL, 'veo-3.0-generate-001', 'MiniMax-Hailuo-02'] as const;

const DEFAULT_REJECT = 'This model does not accept reference images (input_reference). Send the prompt alone.';

/** common.NewRequestId's shape: UTC yyyymmddhhmmss, 9 digits of ns, 8 hex, 8 random. */
function newRequestId(): string {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  return `${stamp}${randomFrom('0123456789', 9)}${randomFrom(HEX, 8)}${randomFrom(ALNUM, 8)}`;
}

/** Bearer (either case) or the bare key; the sk- prefix is optional (middleware/auth.go). */
function keyOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization?.trim();
  if (!header) return undefined;
  const token = header.replace(/^bearer\s+/i, '').trim();
  return token.startsWith('sk-') ? token.slice(3) : token;
}

export async function newApiVideos(api: VideoApi, r: VideoRequest): Promise<void> {
  const requestId = newRequestId();
  const send = (answer: JobAnswer) => sendAnswer(r.res, answer, { 'X-Oneapi-Request-Id': requestId });
  const { route } = r;
  // Unregistered routes (no list, no DELETE) are gin's NoRoute: 404 before any auth.
  if (route.kind === 'other' || route.kind === 'list') {
    send(newApi.routeNotFound(r.method, r.path));
    return;
  }
  const key = keyOf(r.req);
  const want = api.host.apiKey.startsWith('sk-') ? api.host.apiKey.slice(3) : api.host.apiKey;
  if (api.keyRevoked || key !== want) {
    send(newApi.authError(requestId, /^zh/i.test(r.req.headers['accept-language'] ?? '') ? 'zh-CN' : 'en'));
    return;
  }

  if (route.kind === 'retrieve') {
    const job = api.find(route.id!);
    if (!job) {
      send(newApi.unknownId);
      return;
    }
    r.onJob(job.id);
    send(stateAnswer(api, job, api.poll(job)));
    return;
  }
  if (route.kind === 'content') {
    const job = api.find(route.id!);
    if (!job) {
      send(newApi.contentUnknownId);
      return;
    }
    r.onJob(job.id);
    job.contentRequests += 1;
    const step = api.current(job);
    if (step.status !== 'completed') {
      send(newApi.contentNotReady(rowStatus(job, step)));
      return;
    }
    if (job.cdnUrl && job.spec.contentAfterLinkExpiry === 'upstream-error' && api.host.links.isExpired(new URL(job.cdnUrl).pathname)) {
      send(derive(newApi.contentUnknownId, 502, { error: { message: 'Upstream service returned status 403', type: 'server_error' } }));
      return;
    }
    return serveContent(
      r.req,
      r.res,
      job.spec.content ?? {},
      { 'Content-Type': 'video/mp4', 'Cache-Control': 'public, max-age=86400', 'X-Oneapi-Request-Id': requestId },
      job,
    );
  }

  const input = readInput(r, requestId);
  if ('answer' in input) {
    send(input.answer);
    return;
  }
  const { fields } = input;

  if (route.kind === 'remix') {
    const source = api.find(route.id!);
    if (!source) {
      send(newApi.remixUnknownId);
      return;
    }
    const spec = api.takeSpec();
    const mode = spec.remix ?? 'supported';
    const prompt = typeof fields.prompt === 'string' ? fields.prompt : '';
    // The Sora adaptor checks the remix body; a converted channel validates it as a generation.
    if (prompt.trim() === '') {
      send(mode === 'new-generation' ? newApi.missingPrompt : newApi.remixMissingPrompt);
      return;
    }
    if (mode === 'unsupported') {
      send(newApi.remixUnsupported());
      return;
    }
    const job = api.createJob({
      spec,
      flavour: 'new-api',
      channel: mode === 'supported' ? 'passthrough' : 'converted',
      model: source.model,
      prompt,
      ...optional({ seconds: source.seconds, size: source.size }),
      ...(r.form ? { form: r.form } : { json: r.body }),
      remixOf: source.id,
    });
    r.onJob(job.id);
    if (mode === 'new-generation') {
      send(newApi.createQueued({ id: job.id, model: job.model, createdAt: job.createdAt }));
      return;
    }
    send(newApi.createQueuedPassthrough({ ...upstreamCreate(job), remixed_from_video_id: source.upstreamId }, job.id));
    return;
  }

  // create
  const model = typeof fields.model === 'string' ? fields.model : '';
  if (model === '') {
    send(newApi.missingModel(requestId));
    return;
  }
  if (!api.host.videoModels.includes(model)) {
    send(newApi.noChannel(model, 'default', requestId));
    return;
  }
  if (!r.form && typeof fields.seconds === 'number') {
    send(newApi.secondsAsJsonNumber);
    return;
  }
  const prompt = typeof fields.prompt === 'string' ? fields.prompt : '';
  if (prompt.trim() === '') {
    send(newApi.missingPrompt);
    return;
  }
  const size = typeof fields.size === 'string' && fields.size !== '' ? fields.size : undefined;
  if (size && model.startsWith('sora-2') && !soraSizes(model).includes(size)) {
    send(newApi.invalidSize);
    return;
  }
  const spec = api.takeSpec();
  if (spec.busy) {
    send(newApi.upstreamBusy);
    return;
  }
  if (spec.rejectImages && carriesImage(fields, r.form?.files ?? [])) {
    const message = typeof spec.rejectImages === 'string' ? spec.rejectImages : DEFAULT_REJECT;
    // An upstream's 400 comes back as fail_to_fetch_task with its body as the message.
    const upstream = JSON.stringify({ error: { message, type: 'invalid_request_error', param: 'input_reference', code: 'invalid_value' } });
    send(newApi.remixUnsupported(400, upstream));
    return;
  }
  const channel = spec.channel ?? 'converted';
  const seconds =
    typeof fields.seconds === 'string'
      ? fields.seconds
      : typeof fields.duration === 'number' || typeof fields.duration === 'string'
        ? String(fields.duration)
        : undefined;
  const job = api.createJob({
    spec,
    flavour: 'new-api',
    channel,
    model,
    prompt,
    ...optional({ seconds, size }),
    ...(r.form ? { form: r.form } : { json: r.body }),
    references: references(channel, r.form?.files ?? []),
  });
  r.onJob(job.id);
  if (channel === 'passthrough') {
    send(newApi.createQueuedPassthrough(upstreamCreate(job), job.id));
    return;
  }
  send(newApi.createQueued({ id: job.id, model: job.model, createdAt: job.createdAt }));
}

function optional<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type Input = { fields: Record<string, unknown> } | { answer: JobAnswer };

/** Multipart (text values only; files are parts) or a JSON object, as common/gin.go reads them. */
function readInput(r: VideoRequest, requestId: string): Input {
  if (r.form) return { fields: r.form.fields };
  const invalid = (why: string): Input => ({
    answer: derive(newApi.missingModel(requestId), 400, {
      error: { code: '', message: `Invalid request, ${why} (request id: ${requestId})`, type: 'new_api_error' },
    }),
  });
  if (r.formError !== undefined) return invalid(r.formError);
  if (r.body === undefined) return invalid('empty request body');
  if (typeof r.body !== 'object' || r.body === null || Array.isArray(r.body)) return invalid('the body is not a JSON object');
  return { fields: r.body as Record<string, unknown> };
}

/** An answer of the fixture's family (status, Content-Type, encoder) with another body, for cases no fixture covers. */
function derive(like: JobAnswer, status: number, body: unknown): JobAnswer {
  return { ...like, status, body, raw: goJson(body) };
}

function soraSizes(model: string): string[] {
  return model.startsWith('sora-2-pro') ? ['720x1280', '1280x720', '1792x1024', '1024x1792'] : ['720x1280', '1280x720'];
}

function carriesImage(fields: Record<string, unknown>, files: RecordedFile[]): boolean {
  const text = (v: unknown) => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0);
  return files.length > 0 || text(fields.image) || text(fields.images) || text(fields.input_reference);
}

/** Veo and Jimeng read the part named input_reference; an OpenAI/Sora channel forwards every file part. */
function references(channel: 'converted' | 'passthrough', files: RecordedFile[]): RecordedFile[] {
  return channel === 'passthrough' ? files : files.filter((f) => f.name === 'input_reference');
}

function upstreamCreate(job: VideoJob) {
  return {
    model: job.model,
    status: 'queued',
    progress: 0,
    created_at: job.createdAt,
    seconds: job.seconds ?? '4',
    size: job.size ?? '720x1280',
  };
}

function rowStatus(job: VideoJob, step: JobStep): TaskRowStatus {
  if (step.status === 'failed') return 'FAILURE';
  if (step.status === 'in_progress') return 'IN_PROGRESS';
  if (step.status === 'queued') return job.channel === 'passthrough' ? 'QUEUED' : 'SUBMITTED';
  return 'NOT_START';
}

/** The fixture answer re-aimed at the job: ids, model (unless the fixture's is ""), times shifted, links. */
function rebind(answer: JobAnswer, job: VideoJob): JobAnswer {
  const shift = job.createdAt - newApi.CREATED_AT;
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(answer.body as Record<string, unknown>)) {
    if (k === 'id' || k === 'task_id') body[k] = job.id;
    else if (k === 'model') body[k] = v === '' ? '' : job.model;
    else if ((k === 'created_at' || k === 'completed_at' || k === 'expires_at') && typeof v === 'number')
      body[k] = v + (v > 1e12 ? shift * 1000 : shift);
    else if (k === 'metadata' && v && typeof v === 'object') {
      const url = (v as { url?: unknown }).url;
      body[k] = typeof url === 'string' ? { ...v, url: url.split(newApi.TASK_ID).join(job.id) } : v;
    } else body[k] = v;
  }
  const encode = answer.raw === goJson(answer.body) ? goJson : JSON.stringify;
  return { ...answer, body, raw: encode(body) };
}

function stateAnswer(api: VideoApi, job: VideoJob, step: JobStep): JobAnswer {
  const { spec } = job;
  if (step.status === 'failed') {
    const failure = spec.failure ?? 'reason';
    if (failure === 'no-status') return passthroughError(job);
    if (failure === 'no-message') return rebind(newApi.retrieveFailedNoMessage, job);
    if (failure === 'empty-error') return rebind(newApi.retrieveFailedEmptyError, job);
    if (failure === 'reason-as-url') return rebind(newApi.retrieveFailedReasonAsUrl, job);
  }
  if (job.channel === 'passthrough') return passthrough(api, job, step);
  switch (step.status) {
    case 'unknown':
      return rebind(newApi.retrieveUnknown, job);
    case 'queued':
      return rebind(newApi.retrieveQueued(step.progress), job);
    case 'in_progress':
      return rebind(newApi.retrieveInProgress(step.progress), job);
    case 'failed':
      return rebind(newApi.retrieveFailed(spec.reason, spec.code), job);
    case 'completed':
      return completed(api, job);
  }
}

function completed(api: VideoApi, job: VideoJob): JobAnswer {
  switch (job.spec.videoUrl ?? 'cdn') {
    case 'cdn':
    case 'cdn-same-origin':
      return rebind(newApi.retrieveCompleted(job.cdnUrl), job);
    case 'proxy':
      return rebind(newApi.retrieveCompletedProxyUrl(), job);
    case 'proxy-relay':
      return rebind(newApi.retrieveCompletedProxyUrl(api.host.url), job);
    case 'empty':
      return rebind(newApi.retrieveCompleted(''), job);
    case 'none': {
      const { metadata: _drop, ...body } = newApi.retrieveCompleted().body;
      return rebind({ ...newApi.retrieveCompleted(), body, raw: goJson(body) }, job);
    }
  }
}

/** The upstream's own JSON, as the last poll stored it, with new-api's id. */
function passthrough(api: VideoApi, job: VideoJob, step: JobStep): JobAnswer {
  const shift = job.createdAt - newApi.CREATED_AT;
  const source = job.remixOf ? api.jobs.find((j) => j.id === job.remixOf) : undefined;
  const own = {
    id: job.upstreamId,
    created_at: job.createdAt,
    model: job.model,
    prompt: job.prompt,
    seconds: job.seconds ?? '4',
    size: job.size ?? '720x1280',
    ...(source ? { remixed_from_video_id: source.upstreamId } : {}),
  };
  let state: Record<string, unknown>;
  if (step.status === 'completed') {
    const { completed_at, expires_at } = newApi.passthroughCompleted.body as { completed_at: number; expires_at: number };
    state = { status: 'completed', progress: 100, completed_at: completed_at + shift, expires_at: expires_at + shift };
  } else if (step.status === 'failed') {
    const { error, progress } = newApi.passthroughFailed.body as { error: { code: string; message: string }; progress: number };
    state = { status: 'failed', progress, error: { code: job.spec.code ?? error.code, message: job.spec.reason ?? error.message } };
  } else {
    state = { status: step.status === 'unknown' ? 'queued' : step.status, progress: step.progress };
  }
  return newApi.retrievePassthrough(newApi.upstreamVideo({ ...own, ...state }), job.id);
}

function passthroughError(job: VideoJob): JobAnswer {
  return newApi.retrievePassthrough({ error: (newApi.passthroughUpstreamError.body as { error: unknown }).error }, job.id);
}
