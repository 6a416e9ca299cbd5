import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleChat, isAuthorized, type ChatBody, type ChatHost } from './chat';
import { handleControl } from './control';
import { sendError, sendJson } from './http-errors';
import { taskPage, taskSource, type RelayJob } from './jobs';
import { mediaRoute, serveMedia } from './media';
import { toSpec, type ScenarioName, type ScenarioSpec } from './scenarios';

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
}

export type RequestKind = 'chat' | 'models' | 'media' | 'task' | 'preflight' | 'other';

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
}

export class Relay implements ChatHost {
  url = '';
  readonly apiKey: string;
  readonly models: readonly string[];
  readonly requests: RecordedRequest[] = [];
  readonly jobs: RelayJob[] = [];
  /** Return a string to answer the chat request 400 with it (e.g. to check `messages`). */
  onChatRequest?: (body: ChatBody) => void | string;
  maxOpenStreams = 0;
  private open = 0;
  private scenario: ScenarioSpec;
  private queue: ScenarioSpec[] = [];
  private readonly server: Server;
  private readonly initialScenario: ScenarioSpec;

  constructor(opts: RelayOptions = {}) {
    this.apiKey = opts.apiKey ?? DEFAULT_API_KEY;
    this.models = opts.models ?? DEFAULT_MODELS;
    this.initialScenario = toSpec(opts.scenario ?? 'seed');
    this.scenario = this.initialScenario;
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, { status: 500, message: `relay bug: ${String(err)}` });
        else res.destroy();
      });
    });
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
    return this.requests.filter((r) => r.kind !== 'chat' && r.kind !== 'models' && r.headers.authorization !== undefined);
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
  }

  addJob(job: RelayJob): void {
    this.jobs.push(job);
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
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  }

  /** Also cuts stalled and never-answered streams, which would otherwise hold close() forever. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setCors(req, res);
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const body = parseBody(text);

    if (url.pathname.startsWith('/__relay/')) {
      handleControl(this, url.pathname.slice('/__relay/'.length), method, body, res);
      return;
    }

    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.search,
      kind: kindOf(method, url),
      headers: flatHeaders(req),
      ...(body !== undefined ? { body } : {}),
      time: Date.now(),
    };
    this.requests.push(record);

    if (method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const path = url.pathname;
    if (method === 'POST' && path === '/v1/chat/completions') {
      const scenario = handleChat(this, req, res, body);
      if (scenario) record.scenario = scenario;
      return;
    }
    if (method === 'GET' && path === '/v1/models') {
      if (!isAuthorized(req, this.apiKey)) return sendError(res, { status: 401 });
      const created = 1760338775;
      return sendJson(res, 200, { object: 'list', data: this.models.map((id) => ({ id, object: 'model', created, owned_by: 'relay' })) });
    }
    const media = method === 'GET' || method === 'HEAD' ? mediaRoute(path, url.searchParams) : undefined;
    // grok2api's own answer to an id outside its rule (router.py:582-583, errors.py ValidationError).
    if (media === 'bad-id') return sendError(res, { status: 400, message: 'Invalid file ID', type: 'invalid_request_error', code: 'invalid_value' });
    if (media) return serveMedia(req, res, media);
    const task = /^\/tasks\/([\w-]+?)(\.json)?$/.exec(path);
    if (task && method === 'GET') {
      const job = this.job(task[1]!);
      if (!job) return sendError(res, { status: 404, message: `no such task: ${task[1]}`, code: 'task_not_found' });
      if (task[2]) return sendJson(res, 200, taskSource(job));
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
  if (path.startsWith('/files/') || mediaRoute(path, url.searchParams)) return 'media';
  if (path.startsWith('/tasks/')) return 'task';
  return 'other';
}

// Extension pages fetch the relay cross-origin; a plain page (or a missing host permission)
// would otherwise be stopped by CORS before the test sees what the client did.
function setCors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges, Retry-After');
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
