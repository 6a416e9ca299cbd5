// (2) stream pipeline cost, (2b) report parsing scale, (3) durable writes per running turn.
// Node side, the real modules: utils/chat-stream streamChat (fed by an injected fetch whose body
// is a ReadableStream), utils/task-report parseTaskReport, utils/job-runner JobRunner with a
// utils/store ThreadWriter whose `set` is an in-memory function that counts its calls.
import './fake-chrome'; // first: installs globalThis.chrome before wxt/browser reads it
import { memoryStorage, storeItems } from './fake-chrome';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { streamChat, type ChatRequest } from '../utils/chat/stream-client';
import { chatProtocol } from '../utils/chat/chat-protocol';
import { jobsProtocol } from '../utils/jobs/jobs-protocol';
import { JobRunner } from '../utils/runner/runner';
import { DEFAULT_SETTINGS } from '../utils/settings/settings';
import { ThreadWriter } from '../utils/threads/store';
import { isThreadKey, threadIdOf } from '../utils/threads/storage-keys';
import { parseTaskReport } from '../utils/chat/report-parser';
import type { Thread } from '../utils/threads/model';
import { buildReport, reportText, type Report, type ReportPiece } from '../tests/relay/report';
import { resolveScenario } from '../tests/relay/scenarios';
import { planStream } from '../tests/relay/stream-plan';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const LINKS = {
  taskPage: 'https://relay.bench/tasks/task_bench',
  taskSource: 'https://relay.bench/tasks/task_bench.json',
  preview: 'https://relay.bench/files/task_bench.webp',
  previewPng: 'https://relay.bench/files/task_bench.png',
  video: 'https://relay.bench/files/task_bench.mp4',
};
const REPORT_INPUT = {
  taskId: 'task_01benchbenchbenchbenchbench',
  sid: 's_0123456789abcdef0123456789abcdef',
  prompt: 'a cat surfing a wave at dawn',
  links: LINKS,
};

/**
 * A seed-shaped report stretched to `events` chunk events: the seed's echo block, id, links and
 * queue dots, then one-character deltas (the dots a chatty relay piles up while it generates)
 * with a progress step every `progressEvery` chunks, then the seed's ending with the video link.
 */
function longReport(events: number, progressEvery: number): Report {
  const seed = buildReport('seed', REPORT_INPUT);
  const firstProgress = seed.pieces.findIndex((p) => p.pace === 'progress');
  const head = seed.pieces.slice(0, firstProgress);
  const end = seed.pieces[seed.pieces.length - 1]!;
  // planStream adds a role event before the pieces and a finish event after them.
  const bodyCount = events - 2 - head.length - 1;
  const body: ReportPiece[] = [];
  let progress = 1;
  for (let i = 0; i < bodyCount; i++) {
    if (i % progressEvery === 0) body.push({ text: `${i === 0 ? '\n\n>🏃 进度 ' : ''}${Math.min(99, progress++)}..`, pace: 'progress' });
    else body.push({ text: '.', pace: 'filler' });
  }
  return { outcome: 'completed', pieces: [...head, ...body, end] };
}

/** The report as the relay would put it on the wire (compact framing), one network read per event. */
function wireChunks(report: Report): Uint8Array[] {
  const scenario = resolveScenario({ name: 'compact', slow: 0 });
  const plan = planStream(scenario, report, { chatId: 'chatcmpl-bench', created: 1760338775, model: 'sora-2' });
  return plan.steps.flatMap((s) => ('bytes' in s ? [new Uint8Array(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength)] : []));
}

function bodyStream(chunks: Uint8Array[], pace?: (i: number) => Promise<void>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pace) await pace(i);
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

const sseResponse = (body: ReadableStream<Uint8Array>) =>
  new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });

// ------------------------------------------------------------------------------------------
// Baselines: the least any client must do with the same bytes.

interface BaseChunk {
  choices?: { delta?: { content?: unknown } }[];
}

/** The bare baseline's work per event: eventsource-parser, then JSON.parse and string append. */
function baselineParser(): { parser: EventSourceParser; content(): string } {
  let content = '';
  const parser = createParser({
    onEvent(event) {
      if (event.data === '[DONE]') return;
      const value = JSON.parse(event.data) as BaseChunk;
      const delta = value.choices?.[0]?.delta?.content;
      if (typeof delta === 'string') content += delta;
    },
  });
  // The parser itself is handed out, so the baseline pays no wrapper call per chunk.
  return { parser, content: () => content };
}

/** The baseline reading the same kind of ReadableStream as the real client. */
async function baselineStream(chunks: Uint8Array[]): Promise<string> {
  const reader = bodyStream(chunks).getReader();
  const text = new TextDecoder();
  const base = baselineParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    base.parser.feed(text.decode(value, { stream: true }));
  }
  return base.content();
}

/** The same without the stream: a synchronous loop over the chunks (information only). */
function baselineSync(chunks: Uint8Array[]): string {
  const text = new TextDecoder();
  const base = baselineParser();
  for (const chunk of chunks) base.parser.feed(text.decode(chunk, { stream: true }));
  return base.content();
}

// ------------------------------------------------------------------------------------------
// The real pipeline.

interface RunResult {
  thread: Thread;
  /** Durable writes (ThreadWriter `set` calls) per thread id, with their times. */
  writes: Map<string, number[]>;
}

/** CPU time of this process (all threads: JS, GC helpers), in ms. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Wall and CPU time of one measured span. */
interface Span {
  wallMs: number;
  cpuMs: number;
}

const timed = async <T>(fn: () => Promise<T> | T): Promise<{ value: T; span: Span }> => {
  const c0 = cpuMs();
  const t0 = performance.now();
  const value = await fn();
  return { value, span: { wallMs: performance.now() - t0, cpuMs: cpuMs() - c0 } };
};

/**
 * One JobRunner + ThreadWriter over the in-memory storage; `start` one job per entry of `jobs`
 * (each with its own body), resolve when every one has finished.
 */
/** The runner class under test (a patched copy can be passed to try a fix before proposing it). */
export type RunnerClass = typeof JobRunner;

async function runJobs(
  jobs: { prompt: string; body: () => ReadableStream<Uint8Array> }[],
  concurrency = 3,
  Runner: RunnerClass = JobRunner,
): Promise<{ results: RunResult[]; span: Span }> {
  memoryStorage.clear();
  const writes = new Map<string, number[]>();
  const writer = new ThreadWriter((items) => {
    for (const key of Object.keys(items)) {
      if (!isThreadKey(key)) continue;
      const id = threadIdOf(key);
      let list = writes.get(id);
      if (!list) writes.set(id, (list = []));
      list.push(performance.now());
    }
    storeItems(items);
    return Promise.resolve();
  });
  await writer.load();
  const bodies = new Map(jobs.map((j) => [j.prompt, j.body]));
  const finished: Thread[] = [];
  let done!: () => void;
  const allDone = new Promise<void>((r) => (done = r));
  const runner = new Runner({
    writer,
    settings: () =>
      Promise.resolve({
        ...DEFAULT_SETTINGS,
        baseUrl: 'http://relay.bench',
        apiKey: 'sk-bench-key',
        concurrency,
        notifications: false,
      }),
    protocols: {
      chat: chatProtocol({
        stream: (req: ChatRequest) => {
          const prompt = req.messages[req.messages.length - 1]!.content as string;
          const body = bodies.get(prompt)!;
          return streamChat({ ...req, fetch: () => Promise.resolve(sseResponse(body())) });
        },
        parse: parseTaskReport,
      }),
      jobs: jobsProtocol(),
    },
    onFinished: (thread) => {
      finished.push(thread);
      if (finished.length === jobs.length) done();
    },
  });
  // Timed from the first start to the last onFinished; the runner's idle polling is left out.
  const { span } = await timed(async () => {
    for (const job of jobs) await runner.start(job.prompt, 'sora-2', 'popup');
    await allDone;
  });
  await runner.idle();
  return { results: finished.map((thread) => ({ thread, writes })), span };
}

export interface PipelineResult {
  chunks: number;
  contentChars: number;
  rounds: { baseline: Span; pipeline: Span; sync: Span; ratio: number; wallRatio: number }[];
  /** Median over rounds of pipeline CPU time / baseline CPU time (the budgeted figure). */
  medianRatio: number;
  /** The same with wall-clock times (suffers when other processes share the CPU). */
  medianWallRatio: number;
  /** Pipeline / the synchronous baseline without a ReadableStream (information). */
  medianRatioVsSync: number;
  baselineUsPerChunk: number;
  pipelineUsPerChunk: number;
  writesDuringRun: number;
}

export async function benchPipeline(opts: { chunks?: number; rounds?: number; runner?: RunnerClass } = {}): Promise<PipelineResult> {
  const events = opts.chunks ?? 100_000;
  const rounds = opts.rounds ?? 7;
  const report = longReport(events, 1000);
  const chunks = wireChunks(report);
  const expected = reportText(report);

  const check = (content: string, what: string) => {
    if (content !== expected) throw new Error(`${what}: content differs from the report (${content.length} vs ${expected.length} chars)`);
  };
  const pipeline = async () => {
    const { results, span } = await runJobs([{ prompt: 'bench pipeline', body: () => bodyStream(chunks) }], 3, opts.runner);
    const r = results[0]!;
    const turn = r.thread.turns[0]!;
    check(turn.content, 'pipeline');
    if (turn.status !== 'completed') throw new Error(`pipeline: the turn ended ${turn.status}`);
    return { span, writes: [...r.writes.values()].reduce((n, l) => n + l.length, 0) };
  };
  const baseline = async () => {
    gc();
    const { value, span } = await timed(() => baselineStream(chunks));
    check(value, 'baseline');
    return span;
  };
  const sync = async () => {
    gc();
    const { value, span } = await timed(() => baselineSync(chunks));
    check(value, 'sync baseline');
    return span;
  };

  // Warm-up: JIT every path before timing.
  await baseline();
  await sync();
  await pipeline();

  const out: PipelineResult['rounds'] = [];
  let writesDuringRun = 0;
  for (let r = 0; r < rounds; r++) {
    // Interleaved, alternating which goes first, so drift hits both alike.
    let b: Span;
    let p: Span;
    const runPipeline = async () => {
      gc();
      const res = await pipeline();
      writesDuringRun = res.writes;
      return res.span;
    };
    if (r % 2 === 0) {
      b = await baseline();
      p = await runPipeline();
    } else {
      p = await runPipeline();
      b = await baseline();
    }
    const y = await sync();
    out.push({ baseline: b, pipeline: p, sync: y, ratio: p.cpuMs / b.cpuMs, wallRatio: p.wallMs / b.wallMs });
  }
  return {
    chunks: chunks.length,
    contentChars: expected.length,
    rounds: out,
    medianRatio: median(out.map((x) => x.ratio)),
    medianWallRatio: median(out.map((x) => x.wallRatio)),
    medianRatioVsSync: median(out.map((x) => x.pipeline.cpuMs / x.sync.cpuMs)),
    baselineUsPerChunk: (median(out.map((x) => x.baseline.cpuMs)) * 1000) / chunks.length,
    pipelineUsPerChunk: (median(out.map((x) => x.pipeline.cpuMs)) * 1000) / chunks.length,
    writesDuringRun,
  };
}

// ------------------------------------------------------------------------------------------
// (2b) parseTaskReport must stay linear in the size of the report.

export interface ScaleResult {
  shape: string;
  points: { bytes: number; ms: number }[];
  /** log(t(1MB)/t(250KB)) / log(4): 1 is linear, 2 quadratic. */
  exponent: number;
}

function shapeOf(name: string, bytes: number): string {
  const seed = reportText(buildReport('seed', REPORT_INPUT));
  switch (name) {
    case 'dots line': // the relay's `big` scenario: one line of dots inside a seed report
      return reportText(buildReport('big', { ...REPORT_INPUT, sizeBytes: bytes }));
    case 'many lines': {
      // progress lines, one per row (a relay that breaks its lines)
      const lines: string[] = [];
      let n = 0;
      for (let size = 0; size < bytes; n++) {
        const l = `>🏃 进度 ${n % 100}.. 生成中 [预览](https://relay.bench/p/${n}) \`x\``;
        lines.push(l);
        size += l.length + 1;
      }
      return seed.replace('\n\n> 生成完成', `\n${lines.join('\n')}\n\n> 生成完成`);
    }
    default: {
      // hostile: unterminated link syntax and brackets on one line, for the link regex
      const unit = '[a](https://x.test/' + 'y'.repeat(40) + ' [b] (';
      return seed + '\n' + unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
    }
  }
}

export function benchParseScale(): ScaleResult[] {
  const sizes = [250_000, 500_000, 1_000_000];
  const out: ScaleResult[] = [];
  for (const shape of ['dots line', 'many lines', 'hostile links']) {
    const points = sizes.map((bytes) => {
      const text = shapeOf(shape, bytes);
      parseTaskReport(text); // warm
      // The least CPU time of 7 runs: what the parser costs when nothing else interferes.
      let best = Infinity;
      for (let i = 0; i < 7; i++) {
        const c0 = process.cpuUsage();
        parseTaskReport(text);
        const c = process.cpuUsage(c0);
        best = Math.min(best, (c.user + c.system) / 1000);
      }
      return { bytes: text.length, ms: best };
    });
    const first = points[0]!;
    const last = points[points.length - 1]!;
    const exponent = Math.log(last.ms / first.ms) / Math.log(last.bytes / first.bytes);
    out.push({ shape, points, exponent });
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// (3) Durable writes per running turn, real time, two turns at once at 100 and 1,000 chunks/s.

export interface WriteRateResult {
  chunksPerSecond: number;
  seconds: number;
  chunks: number;
  /** Every `set` that carried this thread, start to finish. */
  writes: number;
  writesPerSecond: number;
  /** The most writes in any 1 s window. */
  maxInOneSecond: number;
}

export async function benchWriteRate(seconds = 4): Promise<WriteRateResult[]> {
  const rates = [100, 1000];
  const t0 = performance.now() + 50;
  const jobs = rates.map((rate) => {
    const events = Math.round(rate * seconds);
    const report = longReport(events, Math.max(1, Math.round(rate / 2))); // progress twice a second
    const chunks = wireChunks(report);
    const interval = (seconds * 1000) / chunks.length;
    // Chunk i is released at t0 + i·interval (absolute, so timer jitter does not slow the rate).
    const pace = async (i: number) => {
      const wait = t0 + i * interval - performance.now();
      if (wait > 1) await sleep(wait);
    };
    return { rate, prompt: `bench writes at ${rate}/s`, body: () => bodyStream(chunks, pace), chunks: chunks.length };
  });
  const { results } = await runJobs(jobs, 3);
  return jobs.map((job) => {
    const r = results.find((x) => x.thread.title === job.prompt)!;
    const times = r.writes.get(r.thread.id) ?? [];
    const turn = r.thread.turns[0]!;
    const span = Math.max(1, (turn.finishedAt ?? 0) - turn.createdAt) / 1000;
    let max = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! - times[i]! < 1000) j++;
      max = Math.max(max, j - i);
    }
    return {
      chunksPerSecond: job.rate,
      seconds: span,
      chunks: job.chunks,
      writes: times.length,
      writesPerSecond: times.length / span,
      maxInOneSecond: max,
    };
  });
}
