import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authFixtureFor, fixtureOfScenario, serveFixture } from './fixture-stream';
import { sendError, sendJson } from './http-errors';
import type { RelayJob } from './jobs';
import { buildReport, reportText, type JobLinks } from './report';
import { resolveScenario, type ScenarioSpec } from './scenarios';
import { planStream, type StreamPlan } from './stream-plan';
import { lastSid, newChatId, newSid, newTaskId } from './tokens';
import { imageInfo, type ImageInfo } from './multipart';

export interface ChatBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  [key: string]: unknown;
}

interface Message {
  role: string;
  content: string;
}

/** What the chat endpoint needs from the relay that owns it. */
export interface ChatHost {
  url: string;
  apiKey: string;
  models: readonly string[];
  onChatRequest?: (body: ChatBody) => string | undefined;
  takeScenario(): ScenarioSpec;
  /** The scenario the next request would take, without taking it. */
  peekScenario(): ScenarioSpec;
  addJob(job: RelayJob): void;
  streamOpened(): void;
  streamClosed(): void;
}

export function isAuthorized(req: IncomingMessage, apiKey: string): boolean {
  return req.headers.authorization === `Bearer ${apiKey}`;
}

/** One image part of a user message, as the relay received it. */
export interface RecordedImagePart {
  /** 'data': a `data:` URL (bytes recorded below); 'url': a link the relay would fetch itself. */
  kind: 'data' | 'url';
  /** The data URL's declared type (`image/jpeg`), '' for a link. */
  mime: string;
  /** Decoded bytes of a data URL (0 for a link or undecodable base64). */
  size: number;
  sha256: string;
  /** Format and size read from the bytes, whatever the URL declared. */
  image?: ImageInfo;
  /** The whole URL's length in characters: data URLs are large, so the URL itself is not kept. */
  urlLength: number;
  /** Set when the part is not a usable image (bad base64, not an image, no url). */
  problem?: string;
}

/** A message of a chat request as recorded: its text (parts joined) and its image parts in order. */
export interface RecordedChatMessage {
  role: string;
  text: string;
  /** Whether `content` came as an array of parts (OpenAI's form for images) rather than a string. */
  parts: boolean;
  images: RecordedImagePart[];
}

const DATA_URL = /^data:([\w/+.-]*)(;[^,]*)?,(.*)$/s;

function recordImagePart(part: { image_url?: unknown }): RecordedImagePart {
  const raw = part.image_url;
  const url = typeof raw === 'string' ? raw : raw && typeof raw === 'object' ? (raw as { url?: unknown }).url : undefined;
  if (typeof url !== 'string') return { kind: 'url', mime: '', size: 0, sha256: '', urlLength: 0, problem: 'image_url has no url' };
  const m = DATA_URL.exec(url);
  if (!m) return { kind: 'url', mime: '', size: 0, sha256: '', urlLength: url.length };
  const base64 = m[2]?.includes(';base64') ?? false;
  const data = m[3] ?? '';
  const valid = !base64 || /^[A-Za-z0-9+/]*={0,2}$/.test(data);
  const bytes = valid ? Buffer.from(base64 ? data : decodeURIComponent(data), base64 ? 'base64' : 'utf8') : Buffer.alloc(0);
  const image = imageInfo(bytes);
  return {
    kind: 'data',
    mime: m[1] ?? '',
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...(image ? { image } : {}),
    urlLength: url.length,
    ...(!valid ? { problem: 'Invalid base64 image_url.' } : !image ? { problem: 'The image data is not a valid image.' } : {}),
  };
}

/**
 * Every message of a chat request with its image parts (content parts `{type:"image_url"}`), for
 * a test to check what a client sent: type, size and SHA-256 of each image's bytes. Undefined when
 * the body has no messages array.
 */
export function recordChatMessages(body: unknown): RecordedChatMessage[] | undefined {
  const messages = body && typeof body === 'object' ? (body as { messages?: unknown }).messages : undefined;
  if (!Array.isArray(messages)) return undefined;
  return messages.map((m: unknown) => {
    const { role, content } = (m && typeof m === 'object' ? m : {}) as { role?: unknown; content?: unknown };
    const parts = Array.isArray(content) ? (content as unknown[]) : undefined;
    const text = parts
      ? parts
          .map((p) =>
            p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '',
          )
          .join('')
      : typeof content === 'string'
        ? content
        : '';
    const images = (parts ?? [])
      .filter(
        (p): p is { type: string; image_url?: unknown } => !!p && typeof p === 'object' && (p as { type?: unknown }).type === 'image_url',
      )
      .map(recordImagePart);
    return { role: typeof role === 'string' ? role : '', text, parts: !!parts, images };
  });
}

/** What OpenAI answers a model that takes no images; relays in front of such models pass it on. */
export const IMAGES_REJECTED = 'Invalid content type. image_url is only supported by certain models.';

function messagesOf(body: ChatBody): Message[] | undefined {
  if (!Array.isArray(body.messages) || body.messages.length === 0) return undefined;
  const out: Message[] = [];
  for (const m of body.messages as unknown[]) {
    if (!m || typeof m !== 'object') return undefined;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string') return undefined;
    // Content may also come as OpenAI content parts; only their text matters here.
    const text = Array.isArray(content)
      ? content
          .map((part: unknown) => (part as { text?: unknown } | null)?.text)
          .map((text) => (typeof text === 'string' ? text : ''))
          .join('')
      : content;
    if (typeof text !== 'string') return undefined;
    out.push({ role, content: text });
  }
  return out;
}

export function jobLinks(baseUrl: string, taskId: string): JobLinks {
  return {
    taskPage: `${baseUrl}/tasks/${taskId}`,
    taskSource: `${baseUrl}/tasks/${taskId}.json`,
    preview: `${baseUrl}/files/${taskId}.webp`,
    previewPng: `${baseUrl}/files/${taskId}.png`,
    video: `${baseUrl}/files/${taskId}.mp4`,
  };
}

/** Handles POST /v1/chat/completions; returns the scenario name that answered, if any. */
export function handleChat(host: ChatHost, req: IncomingMessage, res: ServerResponse, body: unknown): string | undefined {
  if (!isAuthorized(req, host.apiKey)) {
    // A relay scenario turns the key away in its relay's own words (FastAPI's {"detail": …}, …).
    const fixture = fixtureOfScenario(host.peekScenario().name);
    if (fixture) void serveFixture(host, res, authFixtureFor(fixture.family, req));
    else sendError(res, { status: 401, message: 'Incorrect API key provided. You can find your API key in your dashboard.' });
    return undefined;
  }
  const chat = (body && typeof body === 'object' ? body : {}) as ChatBody;
  const messages = messagesOf(chat);
  if (typeof chat.model !== 'string' || !messages) {
    sendError(res, {
      status: 400,
      message: 'Invalid request: `model` and a non-empty `messages` array of {role, content} are required.',
      code: 'invalid_request',
    });
    return undefined;
  }
  if (!host.models.includes(chat.model)) {
    sendError(res, { status: 404, message: `The model \`${chat.model}\` does not exist or you do not have access to it.` });
    return undefined;
  }
  const images = (recordChatMessages(chat) ?? []).flatMap((m) => m.images);
  const broken = images.find((i) => i.problem);
  if (broken) {
    sendError(res, { status: 400, message: broken.problem, type: 'invalid_request_error', code: 'invalid_image_url' });
    return undefined;
  }
  let verdict: string | undefined;
  try {
    verdict = host.onChatRequest?.(chat);
  } catch (err) {
    verdict = err instanceof Error ? err.message : String(err);
  }
  if (typeof verdict === 'string') {
    sendError(res, { status: 400, message: verdict, type: 'invalid_request_error', code: 'relay_assertion' });
    return undefined;
  }

  const spec = host.takeScenario();
  if (spec.rejectImages && images.length > 0) {
    const message = typeof spec.rejectImages === 'string' ? spec.rejectImages : IMAGES_REJECTED;
    sendError(res, { status: 400, message, type: 'invalid_request_error', code: 'invalid_value' });
    return spec.name;
  }
  const fixture = fixtureOfScenario(spec.name);
  if (fixture) {
    void serveFixture(host, res, fixture, spec.slow ?? 1, spec.dropAfter);
    return spec.name;
  }
  const scenario = resolveScenario(spec);
  if (scenario.fault === 'http-error') {
    sendError(res, { status: spec.status ?? 500, message: spec.message, body: spec.body, retryAfter: spec.retryAfter });
    return spec.name;
  }

  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const lastAssistant = [...messages].reverse().find((m) => m.role === 'assistant');
  const taskId = newTaskId();
  const sid = newSid();
  const echoSid = lastAssistant ? lastSid(lastAssistant.content) : undefined;
  const prompt = lastUser?.content ?? '';
  const links = jobLinks(host.url, taskId);
  const report = buildReport(scenario.report, {
    taskId,
    sid,
    echoSid,
    prompt,
    links,
    noSource: spec.noSource,
    reason: spec.reason,
    sizeBytes: spec.sizeBytes,
  });
  const meta = { chatId: newChatId(), created: Math.floor(Date.now() / 1000), model: chat.model };
  const plan = planStream(scenario, report, meta);
  const streaming = chat.stream === true;
  host.addJob({
    taskId,
    sid,
    echoSid,
    prompt,
    model: chat.model,
    scenario: spec.name,
    // A non-streamed answer arrives complete, so its job is already over.
    startedAt: streaming ? Date.now() : Date.now() - plan.finalAtMs,
    generatingAfterMs: plan.generatingAtMs,
    doneAfterMs: plan.finalAtMs,
    outcome: report.outcome,
    failure: report.failure,
    links,
  });

  if (!streaming) {
    sendJson(res, 200, {
      id: meta.chatId,
      object: 'chat.completion',
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, message: { role: 'assistant', content: reportText(report) }, finish_reason: 'stop' }],
    });
    return spec.name;
  }
  void runStream(host, res, plan, scenario.fault === 'never');
  return spec.name;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function runStream(host: ChatHost, res: ServerResponse, plan: StreamPlan, never: boolean): Promise<void> {
  // Set false on 'close': `as boolean` keeps TypeScript from taking it for true after each await.
  let open = true as boolean;
  host.streamOpened();
  res.on('close', () => {
    if (!open) return;
    open = false;
    host.streamClosed();
  });
  if (never) return; // accepted, then silence: not even headers
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  for (const step of plan.steps) {
    if (step.delayMs > 0) await sleep(step.delayMs);
    if (!open) return;
    if ('action' in step) {
      if (step.action === 'drop') res.socket?.destroy();
      return; // 'stall': keep the socket open and say nothing more
    }
    res.write(step.bytes);
  }
  res.end();
}
