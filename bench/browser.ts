// (4) side panel first render with 1,000 threads × 3 turns, (5) chunk → screen latency,
// (6) background CPU per chunk with 10 concurrent jobs — in Chromium with the built extension,
// against the project's mock relay. Launch settings as tests/e2e/fixtures.ts.
import './fake-chrome'; // utils/settings imports wxt/browser, which needs a `chrome` global to wrap
import { execSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from '@playwright/test';
import { startRelay, type Relay } from '../tests/relay/index';
import { chromiumPath, extensionArgs, extensionWorker } from '../tests/e2e/chromium';
import { INDEX_KEY, SCHEMA_KEY, SETTINGS_KEY, threadKey } from '../utils/threads/storage-keys';
import { indexEntryOf } from '../utils/threads/records';
import { DEFAULT_SETTINGS, type Settings } from '../utils/settings/settings';
import { SCHEMA_VERSION } from '../utils/threads/schema';
import type { Thread, Turn } from '../utils/threads/model';
import { buildReport, reportText } from '../tests/relay/report';
import { jobLinks } from '../tests/relay/chat';
import { nowMs, RelayStamps } from './relay-stamps';

/** The extension API, as far as the bench calls it inside the worker and pages (runs there, typed here). */
declare const chrome: {
  runtime: { sendMessage(message: unknown): Promise<unknown>; reload(): void };
  storage: {
    local: { set(items: Record<string, unknown>): Promise<void>; clear(): Promise<void> };
    onChanged: { addListener(cb: (changes: Record<string, unknown>, area: string) => void): void };
  };
};

const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const percentile = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------
// Chromium with the extension.

interface Session {
  context: BrowserContext;
  worker: Worker;
  id: string;
}

async function launch(extDir: string, userDataDir: string): Promise<Session> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: extensionArgs(extDir),
  });
  const worker = await extensionWorker(context);
  return { context, worker, id: new URL(worker.url()).host };
}

async function openPage(s: Session, name: 'sidepanel' | 'popup', init?: string): Promise<Page> {
  const page = await s.context.newPage();
  if (init) await page.addInitScript(init);
  await page.goto(`chrome-extension://${s.id}/${name}.html`);
  return page;
}

// ------------------------------------------------------------------------------------------
// CPU time of Chromium's processes, from /proc (Linux).

const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
  cpuMs: number;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // Fields after the parenthesised command name: state ppid … utime(14) stime(15).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(d), ppid: Number(f[1]), cmdline, cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU ms so far of (a) the extension's renderer process (service worker, + any extension page), (b) every process of this Chromium. */
function chromiumCpu(userDataDir: string): { extension: number; all: number; extensionPids: number[] } {
  const procs = processes();
  const root = procs.find((p) => p.cmdline.includes(`--user-data-dir=${userDataDir}`) && !p.cmdline.includes('--type='));
  if (!root) return { extension: NaN, all: NaN, extensionPids: [] };
  const children = new Map<number, Proc[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const tree: Proc[] = [];
  const walk = (p: Proc) => {
    tree.push(p);
    for (const c of children.get(p.pid) ?? []) walk(c);
  };
  walk(root);
  const ext = tree.filter((p) => p.cmdline.includes('--extension-process'));
  return {
    extension: ext.reduce((s, p) => s + p.cpuMs, 0),
    all: tree.reduce((s, p) => s + p.cpuMs, 0),
    extensionPids: ext.map((p) => p.pid),
  };
}

// ------------------------------------------------------------------------------------------
// Storage seeding with the real key layout.

function benchSettings(relay: Relay): Settings {
  return { ...DEFAULT_SETTINGS, baseUrl: relay.url, apiKey: relay.apiKey, concurrency: 10, notifications: false };
}

const PROMPTS = [
  'A red fox trotting through fresh snow at dawn, cinematic, shallow depth of field',
  'Two koi circling in a temple pond, overhead shot, ripples catching the light',
  'A paper boat drifting down a rain gutter in Tokyo at night, neon reflections',
  'Time-lapse of clouds rolling over a mountain ridge, golden hour',
  'An astronaut planting a sunflower on Mars, wide shot, dust in the air',
];

/** 1,000 threads × 3 turns as the background would have written them, newest first in the index. */
export function historyItems(relay: Relay, threads = 1000, turnsPer = 3): Record<string, unknown> {
  const items: Record<string, unknown> = {};
  const list: Thread[] = [];
  const start = Date.now() - threads * 3_600_000;
  for (let i = 0; i < threads; i++) {
    const created = start + i * 3_600_000;
    const turns: Turn[] = [];
    for (let k = 0; k < turnsPer; k++) {
      const taskId = `task_01bench${String(i).padStart(5, '0')}v${k}xxxxxxxxxxxx`;
      const sid = `s_${(i * 10 + k).toString(16).padStart(32, '0')}`;
      const links = jobLinks(relay.url, taskId);
      const prompt = k === 0 ? `${PROMPTS[i % PROMPTS.length]} #${i}` : `make it ${['slower', 'brighter', 'wider'][k % 3]}`;
      const failed = k === turnsPer - 1 && i % 10 === 9;
      const report = buildReport(failed ? 'fail-reason' : 'seed', { taskId, sid, prompt, links });
      const t0 = created + k * 600_000;
      const turn: Turn = {
        id: `turn_bench${i}_${k}`,
        prompt,
        status: failed ? 'failed' : 'completed',
        progress: failed ? 44 : 100,
        taskId,
        content: reportText(report),
        createdAt: t0,
        startedAt: t0 + 1_000,
        finishedAt: t0 + 240_000,
        echo: { prompt, orientation: 'portrait' },
      };
      if (failed) turn.error = { kind: 'generation', message: report.failure ?? 'The generation failed.' };
      else
        Object.assign(turn, {
          sid,
          videoUrl: links.video,
          previewUrl: links.preview,
          taskPageUrl: links.taskPage,
          taskSourceUrl: links.taskSource,
        });
      turns.push(turn);
    }
    const thread: Thread = {
      id: `thr_bench${String(i).padStart(5, '0')}`,
      title: turns[0]!.prompt,
      model: 'sora-2',
      createdAt: created,
      updatedAt: turns[turns.length - 1]!.finishedAt!,
      origin: 'popup',
      turns,
    };
    list.push(thread);
    items[threadKey(thread.id)] = thread;
  }
  items[INDEX_KEY] = list.map(indexEntryOf).sort((a, b) => b.createdAt - a.createdAt);
  items[SCHEMA_KEY] = SCHEMA_VERSION;
  return items;
}

// ------------------------------------------------------------------------------------------
// (4) First render.

/** Installed before the page's own scripts: when the first <article> appears and is painted. */
const RENDER_PROBE = `(() => {
  const b = (globalThis.__bench = { firstArticle: null, firstPaint: null, lastChange: null, articles: 0, maxArticles: 0, gets: [] });
  const afterPaint = (cb) => requestAnimationFrame(() => { const ch = new MessageChannel(); ch.port1.onmessage = () => cb(performance.now()); ch.port2.postMessage(0); });
  // Times every storage read the page makes (from outside: the page's code is not touched).
  try {
    const area = chrome.storage.local;
    const get = area.get.bind(area);
    area.get = (keys, ...rest) => {
      const start = performance.now();
      const n = keys == null ? -1 : Array.isArray(keys) ? keys.length : typeof keys === 'string' ? 1 : Object.keys(keys).length;
      const p = get(keys, ...rest);
      if (p && p.then) p.then(() => b.gets.push({ n, start, end: performance.now() }), () => {});
      return p;
    };
  } catch {}
  new MutationObserver(() => {
    const n = document.getElementsByTagName('article').length;
    if (n !== b.articles) {
      b.articles = n;
      b.maxArticles = Math.max(b.maxArticles, n);
      b.lastChange = performance.now();
      afterPaint((t) => { b.lastPaint = t; });
    }
    if (n > 0 && b.firstArticle === null) {
      b.firstArticle = performance.now();
      afterPaint((t) => { b.firstPaint = t; });
    }
  }).observe(document, { childList: true, subtree: true });
})();`;

interface RenderProbe {
  firstArticle: number | null;
  firstPaint: number | null;
  lastChange: number | null;
  lastPaint?: number;
  articles: number;
  maxArticles: number;
  gets: { n: number; start: number; end: number }[];
}

export interface FirstRenderResult {
  loads: {
    firstPaintMs: number;
    settledMs: number;
    articles: number;
    /** DOMContentLoaded done: the page's module scripts have run. */
    scriptsDoneMs: number;
    /** Storage reads before the first paint: keys asked (-1 = all), start and end (ms since navigation). */
    reads: { n: number; start: number; end: number }[];
  }[];
  firstPaintMs: number;
  settledMs: number;
  articlesInDom: number;
  jsHeapUsedMB: number;
  domNodes: number;
  scroll?: { frames: number; p95FrameMs: number; longFrames: number; articlesAfter: number };
}

async function measureFirstRender(s: Session, loads: number): Promise<FirstRenderResult> {
  const runs: FirstRenderResult['loads'] = [];
  let heap = NaN;
  let nodes = NaN;
  let scroll: FirstRenderResult['scroll'];
  for (let i = 0; i < loads; i++) {
    const page = await s.context.newPage();
    await page.addInitScript(RENDER_PROBE);
    await page.goto(`chrome-extension://${s.id}/sidepanel.html`);
    await page.waitForSelector('article', { timeout: 60_000 });
    // Settled: the number of articles has not changed for 500 ms (a windowed list settles at once).
    for (let waited = 0; waited < 20_000; waited += 100) {
      const idle = await page.evaluate(() => {
        const b = (globalThis as unknown as { __bench: RenderProbe }).__bench;
        return b.firstPaint === null || b.lastChange === null ? 0 : performance.now() - b.lastChange;
      });
      if (idle > 500) break;
      await sleep(100);
    }
    const b = await page.evaluate(() => (globalThis as unknown as { __bench: RenderProbe }).__bench);
    const dcl = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.domContentLoadedEventEnd ?? NaN,
    );
    const round = (x: number) => Math.round(x * 10) / 10;
    runs.push({
      firstPaintMs: b.firstPaint ?? NaN,
      settledMs: b.lastPaint ?? b.firstPaint ?? NaN,
      articles: b.articles,
      scriptsDoneMs: dcl,
      reads: b.gets.filter((g) => g.start <= (b.firstPaint ?? Infinity)).map((g) => ({ n: g.n, start: round(g.start), end: round(g.end) })),
    });
    if (i === loads - 1) {
      const cdp = await s.context.newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      heap = usage.usedSize / 1024 / 1024;
      await cdp.send('Performance.enable');
      const { metrics } = await cdp.send('Performance.getMetrics');
      nodes = metrics.find((m) => m.name === 'Nodes')?.value ?? NaN;
      scroll = await scrollThrough(page);
    }
    await page.close();
  }
  return {
    loads: runs,
    firstPaintMs: median(runs.map((r) => r.firstPaintMs)),
    settledMs: median(runs.map((r) => r.settledMs)),
    articlesInDom: runs[runs.length - 1]?.articles ?? 0,
    jsHeapUsedMB: heap,
    domNodes: nodes,
    scroll,
  };
}

/** Scrolls the list top to bottom in 1.5 s, one step per frame; frame times in the page. */
// A string, not a function: tsx's name helpers (__name) do not exist in the page.
const SCROLL_PROBE = `new Promise((resolve) => {
  const el = document.scrollingElement || document.documentElement;
  const deltas = [];
  let start = 0;
  let last = 0;
  const step = (t) => {
    deltas.push(t - last);
    last = t;
    const f = Math.min(1, (t - start) / 1500);
    el.scrollTop = f * (el.scrollHeight - innerHeight);
    if (f < 1) return requestAnimationFrame(step);
    const s = deltas.slice(1).sort((a, b) => a - b);
    resolve({
      frames: s.length,
      p95FrameMs: s[Math.floor(s.length * 0.95)] ?? NaN,
      longFrames: s.filter((d) => d > 50).length,
      articlesAfter: document.getElementsByTagName('article').length,
    });
  };
  requestAnimationFrame((t) => { start = last = t; requestAnimationFrame(step); });
})`;

async function scrollThrough(page: Page): Promise<FirstRenderResult['scroll']> {
  return page.evaluate<FirstRenderResult['scroll']>(SCROLL_PROBE);
}

// ------------------------------------------------------------------------------------------
// (5) Chunk → screen latency.

/** Records in the page every new aria-valuenow of a progressbar and when it was painted, plus storage writes. */
const PAINT_PROBE = `(() => {
  const p = (globalThis.__paint = { paints: [], writes: [] });
  const seen = new WeakMap();
  const now = () => performance.timeOrigin + performance.now();
  const afterPaint = (cb) => requestAnimationFrame(() => { const ch = new MessageChannel(); ch.port1.onmessage = () => cb(now()); ch.port2.postMessage(0); });
  const scan = () => {
    const t = now();
    for (const el of document.querySelectorAll('[role="progressbar"]')) {
      const v = Number(el.getAttribute('aria-valuenow'));
      if (seen.get(el) === v) continue;
      seen.set(el, v);
      // Which job: its prompt (a unique tag) is in the thread's card.
      const tag = /bench latency job ([\\w-]+)/.exec(el.closest('article')?.textContent || '');
      const rec = { value: v, tag: tag ? tag[1] : null, dom: t, paint: null };
      p.paints.push(rec);
      afterPaint((tp) => { rec.paint = tp; });
    }
  };
  p.added = {};
  new MutationObserver((records) => {
    // Elements the page creates while jobs run (e.g. <video> players rebuilt on each change).
    for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) { const k = n.tagName.toLowerCase(); p.added[k] = (p.added[k] || 0) + 1; for (const v of n.getElementsByTagName ? n.getElementsByTagName('video') : []) p.added.video = (p.added.video || 0) + 1; }
    scan();
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local') return;
    const t = now();
    for (const k of Object.keys(changes)) if (k.startsWith('thread:')) p.writes.push({ key: k, t });
  });
  p.longTasks = [];
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) p.longTasks.push(e.duration); }).observe({ type: 'longtask' });
  } catch {}
})();`;

interface PaintProbe {
  paints: { value: number; tag: string | null; dom: number; paint: number | null }[];
  writes: { key: string; t: number }[];
  longTasks: number[];
  added: Record<string, number>;
}

/** In the service worker: when each thread write was committed (its own onChanged). */
async function installWorkerWriteLog(worker: Worker): Promise<void> {
  await worker.evaluate(() => {
    const g = globalThis as unknown as { __benchW?: { key: string; t: number }[] };
    if (g.__benchW) return;
    g.__benchW = [];
    chrome.storage.onChanged.addListener((changes, area) => {
      if (area !== 'local') return;
      const t = performance.timeOrigin + performance.now();
      for (const k of Object.keys(changes)) if (k.startsWith('thread:')) g.__benchW!.push({ key: k, t });
    });
  });
}

async function workerClockOffset(worker: Worker): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 7; i++) {
    const a = nowMs();
    const t = await worker.evaluate(() => performance.timeOrigin + performance.now());
    const b = nowMs();
    if (b - a < best.rtt) best = { rtt: b - a, offset: t - (a + b) / 2 };
  }
  return best.offset;
}

export interface LatencyResult {
  history: number;
  jobs: number;
  samples: number[];
  missed: number;
  medianMs: number;
  p95Ms: number;
  /** Durable writes of the running thread seen by the page (storage.onChanged), per second of stream. */
  writesPerSecond: number;
  /** Medians: relay write → write committed (worker) → storage.onChanged in the page → DOM changed → painted. */
  breakdown: { relayToWriteMs: number; writeToPageEventMs: number; pageEventToDomMs: number; domToPaintMs: number };
  /** Main-thread tasks over 50 ms in the side panel while the jobs ran. */
  longTasks: { count: number; totalMs: number; maxMs: number };
  /** Elements the side panel inserted while the jobs ran, by tag (a <video> is a media player). */
  elementsAdded: Record<string, number>;
  /** Thread writes the side panel was told about. */
  pageChanges: number;
  /** Side panel main-thread ms per second while no job runs (subtracted from pagePerChange). */
  pageIdleMsPerSecond: number;
  /** Side panel main-thread time per thread write it was told about (CDP Performance metrics). */
  pagePerChange: { taskMs: number; scriptMs: number; layoutMs: number; styleMs: number };
  /** Per job, ms from its first relay write: every relay write (+ progress), every write the worker committed, every painted value. */
  timelines: { relay: (number | string)[]; committed: number[]; painted: string[] }[];
}

/** Page clock − node clock (ms), from the sample with the shortest round trip. */
async function clockOffset(page: Page): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 7; i++) {
    const a = nowMs();
    const t = await page.evaluate(() => performance.timeOrigin + performance.now());
    const b = nowMs();
    if (b - a < best.rtt) best = { rtt: b - a, offset: t - (a + b) / 2 };
  }
  return best.offset;
}

/**
 * `rounds` × `concurrent` jobs on the relay's default seed scenario, each tagged by its prompt;
 * every progress step the relay wrote is matched with the first paint of that value (or more) in
 * the job's own card. Several jobs at once give independent phases against the writer's 200 ms
 * grid, which decides most of the latency (see bench/README.md).
 */
async function latency(
  s: Session,
  relay: Relay,
  stamps: RelayStamps,
  rounds: number,
  concurrent: number,
  history: number,
): Promise<LatencyResult> {
  const page = await openPage(s, 'sidepanel', PAINT_PROBE);
  await page.waitForFunction(() => !!(globalThis as unknown as { __paint?: unknown }).__paint);
  await sleep(history ? 1500 : 300); // let the list render before the first job
  const offset = await clockOffset(page);
  await installWorkerWriteLog(s.worker);
  const swOffset = await workerClockOffset(s.worker);
  relay.setScenario('seed'); // the relay's defaults: 40 ms between chunks, 200 ms between progress steps
  // The page's own main-thread time (CDP Performance metrics), per storage change it received.
  const cdp = await s.context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const NAMES = ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration'] as const;
  const pageMetrics = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return NAMES.map((n) => metrics.find((m) => m.name === n)?.value ?? NaN);
  };
  const pageMs = [0, 0, 0, 0];
  let pageChanges = 0;
  let idleMsPerSecond = 0;
  const samples: number[] = [];
  let missed = 0;
  let writes = 0;
  let streamSeconds = 0;
  const toCommit: number[] = [];
  const toPageEvent: number[] = [];
  const toDom: number[] = [];
  const toPaint: number[] = [];
  const long: number[] = [];
  const added: Record<string, number> = {};
  const timelines: LatencyResult['timelines'] = [];
  for (let r = 0; r < rounds; r++) {
    await page.evaluate(() => {
      const p = (globalThis as unknown as { __paint: PaintProbe }).__paint;
      p.paints.length = 0;
      p.writes.length = 0;
      p.longTasks.length = 0;
      p.added = {};
    });
    await s.worker.evaluate(() => void ((globalThis as unknown as { __benchW: unknown[] }).__benchW.length = 0));
    // The page's idle cost over 1 s (media elements loading, timers), subtracted below.
    const idle0 = await pageMetrics();
    const idleT0 = nowMs();
    await sleep(1000);
    const idle1 = await pageMetrics();
    const idleRate = idle1.map((v, i) => (v - idle0[i]!) / ((nowMs() - idleT0) / 1000));
    const metrics0 = await pageMetrics();
    const roundT0 = nowMs();
    const firstStream = stamps.streams + 1;
    const jobs: { tag: string; key: string }[] = [];
    for (let k = 0; k < concurrent; k++) {
      const tag = `h${history}-r${r}-j${k}`;
      const reply = (await page.evaluate(
        (prompt) => chrome.runtime.sendMessage({ type: 'generate', prompt, origin: 'sidepanel' }),
        `bench latency job ${tag}: a lighthouse in a storm, waves breaking`,
      )) as { ok: boolean; value?: { threadId: string }; error?: string } | undefined;
      if (!reply?.ok || !reply.value) throw new Error(`generate failed: ${reply?.error}`);
      jobs.push({ tag, key: threadKey(reply.value.threadId) });
    }
    const streamIds = Array.from({ length: concurrent }, (_, i) => firstStream + i);
    for (let waited = 0; !streamIds.every((id) => stamps.finished.has(id)); waited += 50) {
      if (waited > 30_000) throw new Error('the relay streams did not finish within 30 s');
      await sleep(50);
    }
    await sleep(600); // the last write and paint
    const probe = await page.evaluate(() => (globalThis as unknown as { __paint: PaintProbe }).__paint);
    const roundSeconds = (nowMs() - roundT0) / 1000;
    (await pageMetrics()).forEach((v, i) => (pageMs[i]! += Math.max(0, v - metrics0[i]! - idleRate[i]! * roundSeconds) * 1000));
    idleMsPerSecond += idleRate[0]! * 1000;
    pageChanges += probe.writes.length;
    for (const [k, v] of Object.entries(probe.added)) added[k] = (added[k] ?? 0) + v;
    long.push(...probe.longTasks);
    const swWrites = (await s.worker.evaluate(() => (globalThis as unknown as { __benchW: { key: string; t: number }[] }).__benchW)).map(
      (w) => ({ key: w.key, t: w.t - swOffset }),
    );
    for (const id of streamIds) {
      const own = stamps.of(id);
      // The stream's own text echoes the prompt: that names the job.
      const text = own.map((x) => x.content).join('');
      const job = jobs.find((j) => text.includes(`bench latency job ${j.tag}:`));
      if (!job) throw new Error(`relay stream ${id} matches no job`);
      const paints = probe.paints
        .filter((x) => x.paint !== null && x.tag === job.tag)
        .map((x) => ({ value: x.value, dom: x.dom - offset, t: x.paint! - offset }));
      const pageWrites = probe.writes.filter((w) => w.key === job.key).map((w) => w.t - offset);
      const committed = swWrites.filter((w) => w.key === job.key).map((w) => w.t);
      writes += pageWrites.length;
      for (const st of own.filter((x) => x.progress !== undefined)) {
        // Progress only rises: the first paint at or above this value after it left the relay shows it.
        const shown = paints.find((x) => x.value >= st.progress! && x.t >= st.t - 1);
        if (!shown) {
          missed++;
          continue;
        }
        samples.push(shown.t - st.t);
        // Where the time went: the last write the page saw before the DOM changed, and the
        // worker's commit of that same write (the nth write of the thread on both sides).
        const seenAt = pageWrites.filter((t) => t >= st.t - 1 && t <= shown.dom + 1).pop();
        if (seenAt !== undefined) {
          const at = committed[pageWrites.indexOf(seenAt)];
          if (at !== undefined) {
            toCommit.push(at - st.t);
            toPageEvent.push(seenAt - at);
          }
          toDom.push(shown.dom - seenAt);
        }
        toPaint.push(shown.t - shown.dom);
      }
      const first = own[0]?.t ?? 0;
      const end = stamps.finished.get(id) ?? first;
      streamSeconds += (end - first) / 1000;
      const r0 = (t: number) => Math.round(t - first);
      timelines.push({
        relay: own.map((x) => (x.progress === undefined ? r0(x.t) : `${r0(x.t)}:${x.progress}`)),
        committed: committed.map(r0),
        painted: paints.map((x) => `${r0(x.t)}:${x.value}`),
      });
    }
  }
  await page.close();
  return {
    history,
    jobs: rounds * concurrent,
    samples,
    missed,
    medianMs: median(samples),
    p95Ms: percentile(samples, 95),
    writesPerSecond: writes / Math.max(streamSeconds, 1e-9),
    breakdown: {
      relayToWriteMs: median(toCommit),
      writeToPageEventMs: median(toPageEvent),
      pageEventToDomMs: median(toDom),
      domToPaintMs: median(toPaint),
    },
    longTasks: { count: long.length, totalMs: long.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...long) },
    elementsAdded: added,
    pageChanges,
    pageIdleMsPerSecond: idleMsPerSecond / rounds,
    pagePerChange: {
      taskMs: pageMs[0]! / Math.max(1, pageChanges),
      scriptMs: pageMs[1]! / Math.max(1, pageChanges),
      layoutMs: pageMs[2]! / Math.max(1, pageChanges),
      styleMs: pageMs[3]! / Math.max(1, pageChanges),
    },
    timelines,
  };
}

// ------------------------------------------------------------------------------------------
// (6) Background CPU per chunk, 10 concurrent jobs.

export interface CpuResult {
  jobs: number;
  chunks: number;
  windowMs: number;
  extensionCpuMs: number;
  extensionIdleMs: number;
  allCpuMs: number;
  allIdleMs: number;
  extensionUsPerChunk: number;
  allUsPerChunk: number;
  maxOpenStreams: number;
  /** storage.local thread writes during the window (all jobs). */
  writes: number;
  /** Extension process CPU / wall time of the window: the share of one core. */
  coreShare: number;
}

async function backgroundCpu(s: Session, relay: Relay, stamps: RelayStamps, userDataDir: string, jobs = 10): Promise<CpuResult> {
  relay.setScenario('seed');
  relay.reset();
  relay.setScenario('seed');
  // Idle cost of the same processes over the same kind of window, to subtract.
  await sleep(500);
  const i0 = chromiumCpu(userDataDir);
  const idleT0 = nowMs();
  await sleep(1500);
  const i1 = chromiumCpu(userDataDir);
  const idleMs = nowMs() - idleT0;

  // A page is needed to ask the background (only extension pages may start jobs); it is
  // closed before the window opens so the extension process runs the service worker alone.
  // Durable writes during the window, counted in the worker itself (a listener costs ~nothing).
  await s.worker.evaluate(() => {
    const g = globalThis as unknown as { __benchWrites?: number };
    if (g.__benchWrites === undefined) {
      chrome.storage.onChanged.addListener((changes, area) => {
        if (area === 'local') for (const k of Object.keys(changes)) if (k.startsWith('thread:')) g.__benchWrites!++;
      });
    }
    g.__benchWrites = 0;
  });
  const page = await openPage(s, 'popup');
  const first = stamps.streams + 1;
  // One after another: each start is stored before the next is asked for (see the report on
  // concurrent starts racing in ThreadWriter.putStrict).
  await page.evaluate(async (n) => {
    for (let i = 0; i < n; i++) {
      const reply = (await chrome.runtime.sendMessage({ type: 'generate', prompt: `bench cpu job ${i + 1}`, origin: 'popup' })) as
        { ok?: boolean } | undefined;
      if (!reply?.ok) throw new Error(JSON.stringify(reply));
    }
  }, jobs);
  await page.close();
  await sleep(100);
  const c0 = chromiumCpu(userDataDir);
  const t0 = nowMs();
  for (let waited = 0; ; waited += 25) {
    let done = 0;
    for (let k = first; k < first + jobs; k++) if (stamps.finished.has(k)) done++;
    if (done === jobs) break;
    if (waited > 60_000) throw new Error('the 10 jobs did not finish within 60 s');
    await sleep(25);
  }
  await sleep(300); // the final writes
  const c1 = chromiumCpu(userDataDir);
  const t1 = nowMs();
  const writes = await s.worker.evaluate(() => (globalThis as unknown as { __benchWrites: number }).__benchWrites);
  const windowMs = t1 - t0;
  const chunks = stamps.eventsBetween(t0, t1);
  const scale = windowMs / idleMs;
  const extIdle = (i1.extension - i0.extension) * scale;
  const allIdle = (i1.all - i0.all) * scale;
  const ext = c1.extension - c0.extension;
  const all = c1.all - c0.all;
  return {
    jobs,
    chunks,
    windowMs,
    extensionCpuMs: ext,
    extensionIdleMs: extIdle,
    allCpuMs: all,
    allIdleMs: allIdle,
    extensionUsPerChunk: (Math.max(0, ext - extIdle) * 1000) / Math.max(1, chunks),
    allUsPerChunk: (Math.max(0, all - allIdle) * 1000) / Math.max(1, chunks),
    maxOpenStreams: relay.maxOpenStreams,
    writes,
    coreShare: Math.max(0, ext - extIdle) / windowMs,
  };
}

// ------------------------------------------------------------------------------------------

export interface BrowserResults {
  latencyEmpty: LatencyResult;
  cpu: CpuResult;
  firstRender: FirstRenderResult;
  latencyHistory: LatencyResult;
  seededThreads: number;
  chromium: string;
}

export async function benchBrowser(builtDir: string, log: (s: string) => void = () => {}): Promise<BrowserResults> {
  // Copies, so a concurrent `wxt build` or e2e run cannot change the extension mid-bench.
  const work = mkdtempSync(path.join(tmpdir(), 'sora-bench-'));
  const extDir = path.join(work, 'ext');
  const userDataDir = path.join(work, 'profile');
  cpSync(builtDir, extDir, { recursive: true });
  const stamps = new RelayStamps();
  stamps.install();
  const relay = await startRelay();
  let s: Session | undefined;
  try {
    s = await launch(extDir, userDataDir);
    const version = s.context.browser()?.version() ?? 'unknown';
    await s.worker.evaluate((items) => chrome.storage.local.set(items), { [SETTINGS_KEY]: benchSettings(relay) });

    log('browser: chunk → screen latency, empty history');
    const latencyEmpty = await latency(s, relay, stamps, 2, 3, 0);
    log('browser: background CPU, 10 concurrent jobs');
    const cpu = await backgroundCpu(s, relay, stamps, userDataDir, 10);

    // Seed 1,000 threads, then restart Chromium on the same profile so the background's
    // ThreadWriter loads this index (a running worker would otherwise overwrite it).
    log('browser: seeding 1,000 threads × 3 turns');
    const items = historyItems(relay);
    await s.worker.evaluate(
      async (all) => {
        await chrome.storage.local.clear();
        await chrome.storage.local.set(all);
      },
      { ...items, [SETTINGS_KEY]: benchSettings(relay) },
    );
    await s.context.close();
    s = await launch(extDir, userDataDir);
    await sleep(500);

    log('browser: side panel first render with 1,000 threads');
    const firstRender = await measureFirstRender(s, 3);
    log('browser: chunk → screen latency with 1,000 threads');
    const latencyHistory = await latency(s, relay, stamps, 2, 3, 1000);
    return { latencyEmpty, cpu, firstRender, latencyHistory, seededThreads: 1000, chromium: version };
  } finally {
    await s?.context.close().catch(() => {});
    await relay.close();
    stamps.uninstall();
    rmSync(work, { recursive: true, force: true });
  }
}
