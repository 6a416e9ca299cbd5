import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleChat, isAuthorized, recordChatMessages, type ChatBody, type ChatHost, type RecordedChatMessage } from './chat';
import { handleControl } from './control';
import { sendError, sendJson } from './http-errors';
import { taskPage, taskSource, type RelayJob } from './jobs';
import { MediaLinks, sendStoreError, type ExpiredStatus } from './links';
import { mediaRoute, serveMedia } from './media';
import { isFormType, readForm, type RecordedForm } from './multipart';
import { toSpec, type ScenarioName, type ScenarioSpec } from './scenarios';
import { isVideosPath, VideoApi, videoRoute, type VideoFlavour, type VideoJob, type VideoJobSpec } from './videos';
import { NEW_API_FIXTURE_MODELS } from './videos-new-api';
import { grok2api } from '../fixtures/jobs/index';

export const DEFAULT_API_KEY = 'sk-test-relay';
export const DEFAULT_MODELS = ['sora-2', 'sora-2-pro'] as const;

export interface RelayOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  apiKey?: string;
  models?: readonly string[];
  /** The scenario answering chat requests when the queue is empty (default 'seed'). */
  scenario?: ScenarioName | ScenarioSpec;
  /** Whose /v1/videos answers to give (default 'new-api'); see tests/relay/videos.ts. */
  videos?: VideoFlavour;
  /** Models the Videos API serves (default: `models` plus the job fixtures' own models). */
  videoModels?: readonly string[];
  /** grok2api forgets its jobs this long after creation (default 3,600,000, as the real one). */
  videoJobTtlMs?: number;
  /** Media links (chat files, CDN links) die this long after they are handed out (default never). */
  linkTtlMs?: number;
  /** How a dead link answers (default 403). */
  expiredLinkStatus?: ExpiredStatus;
  /** The mock CDN's port (default: a free one) and host name in links (default 'localhost' for 127.0.0.1). */
  cdnPort?: number;
  cdnHost?: string;
}

/** 'videos': the Videos job API, /content included (it is keyed: the key belongs there). */
export type RequestKind = 'chat' | 'models' | 'videos' | 'media' | 'task' | 'preflight' | 'other';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  kind: RequestKind;
  /** Lower-cased names, as node gives them. */
  headers: Record<string, string>;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body?: unknown;
  time: number;
  /** Chat requests: the scenario that answered (absent when rejected before one was taken). */
  scenario?: string;
  /** Chat requests: each message's text and image parts (type, size, SHA-256 of the bytes). */
  chat?: RecordedChatMessage[];
  /** Form bodies (multipart or url-encoded): text fields and file parts (multipart: in place of `body`). */
  form?: RecordedForm;
  /** Videos requests: the job created or addressed. */
  job?: string;
  /** 'cdn': made to the mock CDN (relay.cdnUrl), not to the API origin. */
  server?: 'cdn';
}

export class Relay implements ChatHost {
  url = '';
  readonly apiKey: string;
  readonly models: readonly string[];
  readonly requests: RecordedRequest[] = [];
  readonly jobs: RelayJob[] = [];
  /** The mock CDN: this relay on a second port under another host name (another origin). */
  cdnUrl = '';
  readonly links: MediaLinks;
  readonly videos: VideoApi;
  readonly videoModels: readonly string[];
  /** Return a string to answer the chat request 400 with it (e.g. to check `messages`). */
  onChatRequest?: (body: ChatBody) => string | undefined;
  maxOpenStreams = 0;
  private open = 0;
  private scenario: ScenarioSpec;
  private queue: ScenarioSpec[] = [];
  private readonly server: Server;
  private readonly cdnServer: Server;
  private readonly initialScenario: ScenarioSpec;
  private readonly initialLinks: { ttlMs?: number; expiredStatus: ExpiredStatus };
  private readonly cdnPort: number;
  private readonly cdnHost?: string;

  constructor(opts: RelayOptions = {}) {
    this.apiKey = opts.apiKey ?? DEFAULT_API_KEY;
    this.models = opts.models ?? DEFAULT_MODELS;
    this.initialScenario = toSpec(opts.scenario ?? 'seed');
    this.scenario = this.initialScenario;
    this.videoModels = opts.videoModels ?? [...new Set([...this.models, ...NEW_API_FIXTURE_MODELS, grok2api.MODEL])];
    this.initialLinks = { ttlMs: opts.linkTtlMs, expiredStatus: opts.expiredLinkStatus ?? 403 };
    this.links = new MediaLinks(this.initialLinks);
    this.videos = new VideoApi(this, { flavour: opts.videos, jobTtlMs: opts.videoJobTtlMs });
    this.cdnPort = opts.cdnPort ?? 0;
    this.cdnHost = opts.cdnHost;
    const handler =
      (route: (req: IncomingMessage, res: ServerResponse) => Promise<void>): RequestListener =>
      (req, res) => {
        route(req, res).catch((err: unknown) => {
          if (!res.headersSent) sendError(res, { status: 500, message: `relay bug: ${String(err)}` });
          else res.destroy();
        });
      };
    this.server = createServer(handler((req, res) => this.route(req, res)));
    this.cdnServer = createServer(handler((req, res) => this.routeCdn(req, res)));
  }

  /** Video jobs made through /v1/videos, in order (see tests/relay/videos.ts). */
  get videoJobs(): VideoJob[] {
    return this.videos.jobs;
  }

  /** The job spec for every /v1/videos create or remix that finds the job queue empty. */
  setJobScenario(spec: VideoJobSpec): void {
    this.videos.setScenario(spec);
  }

  /** The next creates/remixes take these, one each, in order. */
  enqueueJob(...specs: VideoJobSpec[]): void {
    this.videos.enqueue(...specs);
  }

  /** Every media link handed out so far dies now (chat files, CDN links); keyed /content stays. */
  expireLinks(): void {
    this.links.expireAll();
  }

  /** Chat streams currently in flight (including stalled and never-answered ones). */
  get openStreams(): number {
    return this.open;
  }

  get currentScenario(): ScenarioSpec {
    return this.scenario;
  }

  get queued(): readonly ScenarioSpec[] {
    return this.queue;
  }

  /** The default for every chat request that finds the queue empty. */
  setScenario(scenario: ScenarioName | ScenarioSpec): void {
    this.scenario = toSpec(scenario);
  }

  /** The next chat requests take these, one each, in order. */
  enqueue(...scenarios: (ScenarioName | ScenarioSpec)[]): void {
    this.queue.push(...scenarios.map((s) => toSpec(s)));
  }

  takeScenario(): ScenarioSpec {
    return this.queue.shift() ?? this.scenario;
  }

  peekScenario(): ScenarioSpec {
    return this.queue[0] ?? this.scenario;
  }

  chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.kind === 'chat');
  }

  /** Requests outside the API (media, task pages, anything else) that carried an Authorization header. */
  authLeaks(): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.kind !== 'chat' && r.kind !== 'models' && r.kind !== 'videos' && r.headers.authorization !== undefined,
    );
  }

  job(taskId: string): RelayJob | undefined {
    return this.jobs.find((j) => j.taskId === taskId);
  }

  /** Forget requests, queue and hooks, back to the initial scenario. Jobs stay (their links must keep working). */
  reset(): void {
    this.requests.length = 0;
    this.queue = [];
    this.scenario = this.initialScenario;
    this.onChatRequest = undefined;
    this.maxOpenStreams = this.open;
    this.videos.reset();
    this.links.reset();
    this.links.ttlMs = this.initialLinks.ttlMs;
    this.links.expiredStatus = this.initialLinks.expiredStatus;
  }

  addJob(job: RelayJob): void {
    this.jobs.push(job);
    for (const link of [job.links.video, job.links.preview, job.links.previewPng]) this.links.issue(link);
  }

  streamOpened(): void {
    this.open += 1;
    this.maxOpenStreams = Math.max(this.maxOpenStreams, this.open);
  }

  streamClosed(): void {
    this.open -= 1;
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    const name = (h: string) => (h.includes(':') ? `[${h}]` : h);
    this.url = `http://${name(host)}:${address.port}`;
    await new Promise<void>((resolve, reject) => {
      this.cdnServer.once('error', reject);
      this.cdnServer.listen(this.cdnPort, host, () => resolve());
    });
    const cdnHost = this.cdnHost ?? (host === '127.0.0.1' ? 'localhost' : host);
    this.cdnUrl = `http://${name(cdnHost)}:${(this.cdnServer.address() as AddressInfo).port}`;
  }

  /** Also cuts stalled and never-answered streams, which would otherwise hold close() forever. */
  async close(): Promise<void> {
    const closed = Promise.all(
      [this.server, this.cdnServer].map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
    );
    this.server.closeAllConnections();
    this.cdnServer.closeAllConnections();
    await closed;
  }

  /** The mock CDN: media files only, no key, links that can expire; everything else is its 404. */
  private async routeCdn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setCors(req, res);
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    const method = req.method ?? 'GET';
    await readBody(req);
    this.requests.push({
      method,
      path: url.pathname,
      query: url.search,
      kind: method === 'OPTIONS' ? 'preflight' : 'media',
      headers: flatHeaders(req),
      time: Date.now(),
      server: 'cdn',
    });
    if (method === 'OPTIONS') return void res.writeHead(204).end();
    const media = method === 'GET' || method === 'HEAD' ? mediaRoute(url.pathname, url.searchParams) : undefined;
    if (media && media !== 'bad-id') {
      if (this.links.isExpired(url.pathname)) {
        this.links.sendExpired(res);
        return;
      }
      if (await this.videos.serveFile(req, res, url.pathname)) return;
      serveMedia(req, res, media);
      return;
    }
    sendStoreError(res, 404);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setCors(req, res);
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    // Controls read JSON whatever the Content-Type (curl -d says url-encoded).
    if (url.pathname.startsWith('/__relay/')) {
      handleControl(this, url.pathname.slice('/__relay/'.length), method, parseBody(raw.toString('utf8')), res);
      return;
    }
    let form: RecordedForm | undefined;
    let formError: string | undefined;
    if (isFormType(contentType)) {
      try {
        form = await readForm(raw, contentType);
      } catch (err) {
        formError = err instanceof Error ? err.message : String(err);
      }
    }
    // A multipart body is recorded as its fields and files; its raw text (binary parts) would say nothing.
    const body = /^\s*multipart\//i.test(contentType) ? undefined : parseBody(raw.toString('utf8'));

    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.search,
      kind: kindOf(method, url),
      headers: flatHeaders(req),
      ...(body !== undefined ? { body } : {}),
      ...(form ? { form } : {}),
      time: Date.now(),
    };
    this.requests.push(record);

    if (method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const path = url.pathname;
    if (method === 'POST' && path === '/v1/chat/completions') {
      const chat = recordChatMessages(body);
      if (chat) record.chat = chat;
      const scenario = handleChat(this, req, res, body);
      if (scenario) record.scenario = scenario;
      return;
    }
    if (method === 'GET' && path === '/v1/models') {
      if (!isAuthorized(req, this.apiKey)) {
        sendError(res, { status: 401 });
        return;
      }
      const created = 1760338775;
      sendJson(res, 200, { object: 'list', data: this.models.map((id) => ({ id, object: 'model', created, owned_by: 'relay' })) });
      return;
    }
    if (isVideosPath(path)) {
      const handled = await this.videos.handle({
        req,
        res,
        method,
        path,
        route: videoRoute(method, path),
        contentType,
        body,
        ...(form ? { form } : {}),
        ...(formError !== undefined ? { formError } : {}),
        onJob: (id) => void (record.job = id),
      });
      if (handled) return;
    }
    const media = method === 'GET' || method === 'HEAD' ? mediaRoute(path, url.searchParams) : undefined;
    // grok2api's own answer to an id outside its rule (router.py:582-583, errors.py ValidationError).
    if (media === 'bad-id') {
      sendError(res, { status: 400, message: 'Invalid file ID', type: 'invalid_request_error', code: 'invalid_value' });
      return;
    }
    if (media && this.links.isExpired(path)) {
      this.links.sendExpired(res);
      return;
    }
    if (media && (await this.videos.serveFile(req, res, path))) return;
    if (media) {
      serveMedia(req, res, media);
      return;
    }
    const task = /^\/tasks\/([\w-]+?)(\.json)?$/.exec(path);
    if (task && method === 'GET') {
      const job = this.job(task[1]!);
      if (!job) {
        sendError(res, { status: 404, message: `no such task: ${task[1]}`, code: 'task_not_found' });
        return;
      }
      if (task[2]) {
        sendJson(res, 200, taskSource(job));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(taskPage(job));
      return;
    }
    sendError(res, { status: 404, message: `no route for ${method} ${path}`, type: 'invalid_request_error', code: 'not_found' });
  }
}

export async function startRelay(opts: RelayOptions = {}): Promise<Relay> {
  const relay = new Relay(opts);
  await relay.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return relay;
}

function kindOf(method: string, url: URL): RequestKind {
  const path = url.pathname;
  if (method === 'OPTIONS') return 'preflight';
  if (path === '/v1/chat/completions') return 'chat';
  if (path === '/v1/models') return 'models';
  if (isVideosPath(path)) return 'videos';
  if (path.startsWith('/files/') || mediaRoute(path, url.searchParams)) return 'media';
  if (path.startsWith('/tasks/')) return 'task';
  return 'other';
}

// Extension pages fetch the relay cross-origin; a plain page (or a missing host permission)
// would otherwise be stopped by CORS before the test sees what the client did.
function setCors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader(
    'Access-Control-Expose-Headers',
    'Content-Length, Content-Range, Accept-Ranges, Retry-After, Content-Disposition, ETag, X-Oneapi-Request-Id',
  );
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, Accept');
    res.setHeader('Access-Control-Max-Age', '600');
    if (req.headers['access-control-request-private-network']) res.setHeader('Access-Control-Allow-Private-Network', 'true');
  }
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
