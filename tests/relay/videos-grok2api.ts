/*
 * The "grok2api" flavour: chenyme/grok2api ≤ 2.0.4 (Python/FastAPI), the last code of it that
 * serves OpenAI's Videos shape, answered with tests/fixtures/jobs/grok2api.ts. Form bodies only,
 * reference images only from `input_reference[]`, jobs in memory for an hour, no remix.
 * Also "grok2api-3", its Go rewrite, only as far as a probe sees it.
 */
import type { IncomingMessage } from 'node:http';
import { grok2api, pyJson, type JobAnswer } from '../fixtures/jobs/index';
import { isFormType, type RecordedFile } from './multipart';
import { serveContent } from './videos-content';
import { sendAnswer, type VideoRequest } from './videos-http';
import type { VideoApi, VideoJob } from './videos';

const DEFAULT_REJECT = 'This model does not accept reference images';

/** An answer in the fixture's family with another body (cases no fixture covers). */
function derive(like: JobAnswer, status: number, body: unknown, headers?: Record<string, string>): JobAnswer {
  return { ...like, status, body, raw: pyJson(body), ...(headers ? { headers } : {}) };
}

const validation = (message: string, param: string): JobAnswer =>
  derive(grok2api.invalidSeconds, 400, { error: { message, type: 'invalid_request_error', code: 'invalid_value', param } });

/** Authorization: <any-case bearer> <key>, or X-API-Key (app/platform/auth/middleware.py). */
function keyOf(req: IncomingMessage): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (m) return m[1];
  const x = req.headers['x-api-key'];
  return typeof x === 'string' && x !== '' ? x : undefined;
}

export async function grok2apiVideos(api: VideoApi, r: VideoRequest): Promise<void> {
  const send = (answer: JobAnswer) => sendAnswer(r.res, answer);
  const { route } = r;
  // Routing comes before the auth dependency: no remix, no list, other methods 405.
  if (route.kind === 'remix') {
    send(grok2api.remixUnsupported);
    return;
  }
  if (route.kind === 'list') {
    send(grok2api.listUnsupported);
    return;
  }
  if (route.kind === 'other') {
    send(
      route.allow
        ? derive(grok2api.listUnsupported, 405, grok2api.listUnsupported.body, { allow: route.allow })
        : grok2api.remixUnsupported,
    );
    return;
  }
  const key = keyOf(r.req);
  if (key === undefined) {
    send(grok2api.authError);
    return;
  }
  if (api.keyRevoked || key !== api.host.apiKey) {
    send(grok2api.authInvalidKey);
    return;
  }

  if (route.kind === 'retrieve' || route.kind === 'content') {
    const job = api.find(route.id!);
    if (!job) {
      send(grok2api.unknownId(route.id));
      return;
    }
    r.onJob(job.id);
    if (route.kind === 'retrieve') {
      const step = api.poll(job);
      send(stateAnswer(job, step.status, step.progress));
      return;
    }
    job.contentRequests += 1;
    if (api.current(job).status !== 'completed') {
      send(grok2api.contentNotReady);
      return;
    }
    const done = new Date(job.stepStartedAt).toUTCString();
    return serveContent(
      r.req,
      r.res,
      job.spec.content ?? {},
      {
        'Content-Type': 'video/mp4',
        ...grok2api.contentReady(job.id).headers,
        etag: `"${job.id.slice(6, 38)}"`,
        'last-modified': done,
      },
      job,
    );
  }

  // create: FastAPI Form()/File() parameters, checked in their declaration order.
  if (!r.form || !isFormType(r.contentType)) {
    if (r.formError !== undefined) {
      send(derive(grok2api.remixUnsupported, 400, { detail: 'There was an error parsing the body' }));
      return;
    }
    send(grok2api.jsonBodyRejected);
    return;
  }
  const { fields } = r.form;
  const model = fields.model ?? '';
  if (model === '') {
    send(grok2api.jsonBodyRejected);
    return;
  }
  const prompt = fields.prompt ?? '';
  if (prompt === '') {
    send(validation('Field required', 'prompt'));
    return;
  }
  const secondsText = fields.seconds;
  if (secondsText !== undefined && !/^\s*[+-]?\d+\s*$/.test(secondsText)) {
    send(validation('Input should be a valid integer, unable to parse string as an integer', 'seconds'));
    return;
  }
  const size = fields.size ?? '720x1280';
  if (!(grok2api.ALLOWED_SIZES as readonly string[]).includes(size)) {
    send(grok2api.invalidSize);
    return;
  }
  // Only File(alias="input_reference[]") is read; a text value there is no file either.
  const parts = r.form.files.filter((f) => f.name === grok2api.REFERENCE_PART);
  const textParts = r.form.entries.filter((e) => e.name === grok2api.REFERENCE_PART);
  if (textParts.length > 0 || parts.some((f) => !isImage(f))) {
    send(grok2api.referenceNotImage);
    return;
  }
  if (!api.host.videoModels.includes(model)) {
    send(grok2api.notVideoModel(model));
    return;
  }
  const seconds = secondsText === undefined ? 6 : Number.parseInt(secondsText, 10);
  if (!(grok2api.ALLOWED_SECONDS as readonly number[]).includes(seconds)) {
    send(grok2api.invalidSeconds);
    return;
  }
  const spec = api.takeSpec();
  if (spec.busy) throw new Error('job scenario busy: only the new-api flavour has a fixture for it');
  if (spec.rejectImages && parts.length > 0) {
    send(validation(typeof spec.rejectImages === 'string' ? spec.rejectImages : DEFAULT_REJECT, 'input_reference'));
    return;
  }
  const job = api.createJob({
    spec,
    flavour: 'grok2api',
    model,
    prompt: prompt.trim(),
    seconds: String(seconds),
    size,
    form: r.form,
    references: parts.slice(0, 7),
  });
  r.onJob(job.id);
  send(grok2api.createQueued(input(job)));
}

/** router.py:193-210: image/* by the part's type or by its file name, and not empty. */
function isImage(f: RecordedFile): boolean {
  return f.size > 0 && (/^image\//i.test(f.contentType) || /\.(png|jpe?g|webp|gif|bmp)$/i.test(f.filename));
}

const input = (job: VideoJob): grok2api.JobInput => ({
  id: job.id,
  model: job.model,
  prompt: job.prompt,
  seconds: Number(job.seconds),
  ...(job.size !== undefined ? { size: job.size } : {}),
  createdAt: job.createdAt,
});

function stateAnswer(job: VideoJob, status: string, progress: number): JobAnswer {
  const i = input(job);
  if (status === 'completed') return grok2api.retrieveCompleted(i);
  if (status === 'failed') {
    const failure = job.spec.failure ?? 'reason';
    // retrieveFailedNoMessage is this with progress 1; the job's own progress stays where it stopped.
    return grok2api.retrieveFailed(failure === 'reason' ? job.spec.reason : '', progress, i);
  }
  if (status === 'in_progress') return grok2api.retrieveInProgress(progress, i);
  return grok2api.retrieveQueued(i);
}

/** grok2api 3.x (Go): no POST /v1/videos; GET by id answers its own 404 for any id it did not make. */
export function grok2api3Videos(api: VideoApi, r: VideoRequest): void {
  const send = (answer: JobAnswer) => sendAnswer(r.res, answer);
  const { current } = grok2api;
  if (r.route.kind !== 'retrieve' && r.route.kind !== 'content') {
    send(current.notFound);
    return;
  }
  const key = keyOf(r.req);
  if (api.keyRevoked || key !== api.host.apiKey) {
    send(current.authError);
    return;
  }
  send(current.unknownId);
}
