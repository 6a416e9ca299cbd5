import { errorInfoFromValue } from '../relay/http-error';
import { isRecord } from '../is-record';
import { resolveHttpUrl } from '../relay/safe-url';

/** The state of a video job as read from the assistant's accumulated markdown report. */
export type ReportPhase = 'queued' | 'generating' | 'completed' | 'failed';

export interface TaskEcho {
  prompt?: string;
  orientation?: string;
  sid?: string;
  /** Any other fields the relay echoed (duration, size, …), kept as they came. */
  [key: string]: unknown;
}

/** What else the report is read with. */
export interface ReportContext {
  /**
   * The answer's `reasoning_content`: sora2api, flow2api and grok2api write their progress and
   * failures there and only the video into the content.
   */
  reasoning?: string;
  /** The relay's base URL: links relative to the relay (`/v1/files/video?id=…`) resolve against it. */
  baseUrl?: string;
  /**
   * Whether the answer has ended (default true). While it streams — or when it was cut off — a bare
   * URL on its last, unterminated line may be only the start of the link, and is not taken.
   */
  complete?: boolean;
}

export interface TaskSnapshot {
  /** undefined until the text says anything about the job. */
  phase?: ReportPhase;
  /** 0..100, the last progress number seen. */
  progress?: number;
  taskId?: string;
  sid?: string;
  echo?: TaskEcho;
  videoUrl?: string;
  previewUrl?: string;
  taskPageUrl?: string;
  taskSourceUrl?: string;
  /** Set when phase is 'failed': the reason in the relay's words (or a generic one). */
  failure?: string;
}

// ---------------------------------------------------------------------------------------------
// Implementation. One linear pass over the lines; every regex below is either anchored to a
// short literal or uses bounded, non-nested quantifiers, so a hostile 1 MB report costs a few
// linear scans and never backtracks catastrophically. No DOM, no state between calls.
// ---------------------------------------------------------------------------------------------

const TERMINAL: ReadonlySet<ReportPhase> = new Set<ReportPhase>(['completed', 'failed']);

/** `[label](url)` / `![alt](url)`, optional `<url>` and `"title"`; bounded, no nested quantifiers. */
const LINK_RE = /(!?)\[([^[\]\n]{0,1000})\]\(\s{0,20}<?([^\s()<>]{1,8192})>?(?:\s{1,20}(?:"[^"\n]{0,1000}"|'[^'\n]{0,1000}'))?\s{0,20}\)/g;
/** Bare URLs are removed from the phrase so words inside them (…/failed/…, ?status=done) don't count. */
const BARE_URL_RE = /https?:\/\/\S*/gi;
/** Punctuation that ends a sentence around a bare URL rather than belonging to it. */
const URL_TAIL = new Set('.,;:!?)]}>\'"`，。；：！？）】」』、');

/** The URL without the sentence's punctuation after it (a loop: a regex anchored at $ backtracks). */
function trimUrlTail(url: string): string {
  let end = url.length;
  while (end > 0 && URL_TAIL.has(url[end - 1] as string)) end--;
  return url.slice(0, end);
}
/**
 * `<video src='…' controls>`, `<video controls src="…">`, `<source src>`, `<img src>` (sora2api,
 * flow2api, grok2api): bounded and stopped by any `<`/`>`, so scanning stays linear.
 */
const MEDIA_TAG_RE = /<(video|source|img)\b([^<>]{0,4000})>/gi;
const ATTR_RE = /\b(src|poster)\s{0,10}=\s{0,10}(?:"([^"]{0,8192})"|'([^']{0,8192})'|([^\s"'<>`=]{1,8192}))/gi;
/** A lone URL answer (grok2api sends only the link), absolute or relative to the relay. */
const LONE_URL_RE = /^(?:https?:\/\/|\/(?![/\\]))[^\s<>"']{1,8192}$/i;

const TASK_ID_RE = /\b(?:task[\s_-]{0,3}id|id)\s{0,5}[:：=]\s{0,5}`?\s{0,5}([\w.-]{1,200})`?/i;
const SID_RE = /\bsid\s{0,5}[:：=]\s{0,5}`?\s{0,5}([\w.-]{1,200})`?/i;
const TOKEN_RE = /^[\w.-]{1,200}$/;

const FAIL_ZH_RE = /失败|出错|错误|异常|已取消|超时/;
const FAIL_EN_RE = /\b(?:fail(?:ed|ure)|error|cancell?ed|timed out)\b/i;
/** "Failed, retrying" (sora2api's `**生成失败，正在重试**`): the relay is still at it, not done. */
const RETRYING_RE = /正在重试|重试中|重新尝试|\bretrying\b|\btrying again\b|\bwill retry\b/i;
const FAIL_MARK_RE = /❌|⛔|🚫/u;
/** 审核 (moderation) is a failure unless it is under way (正在审核, 审核中) or passed (审核通过). */
const POLICY_ZH_RE = /违规|违反|不合规|敏感(?:内容|词)|未通过|不通过|没通过|被拒|(?<!正在|等待)审核(?!中|通过)/;
const POLICY_EN_RE = /\bviolat|content[\s_-]{0,3}polic|\b(?:moderation|flagged|guardrails?|blocked|rejected|nsfw)\b/i;

const COMPLETE_ZH_RE = /生成完成|任务完成|已完成|视频完成|生成成功|任务成功|^完成|^成功/;
const COMPLETE_EN_RE = /\b(?:completed?|done|finished|succeeded|success(?:ful|fully)?|ready)\b/i;
/** A step of the job being done ("Upload done, queuing…") is not the job being done. */
const STILL_GOING_RE = /排队|等待|生成中|处理中|\b(?:queu|waiting|pending|generating|processing|rendering|in progress|running)/i;
const GENERATING_RE = /生成中|处理中|进行中|渲染中|制作中|运行中|开始生成|\b(?:generating|processing|in progress|running|rendering)\b/i;
const QUEUED_RE = /排队|等待|已提交|提交成功|\bqueu|\b(?:waiting|pending|submitted)\b/i;

// Link labels. Checked in this order: task source, task page (the "data" links, more specific
// than the generic preview words: 数据预览 before 预览), then preview vs video, then extension.
const SOURCE_LABEL_RE = /原始数据|源数据|\b(?:source|raw|json)\b/i;
const PAGE_LABEL_RE = /数据预览|详情|任务页|task\s{0,3}page|\bdetails?\b|preview\s{0,3}data|data\s{0,3}preview/i;
const PREVIEW_LABEL_RE = /预览|封面|缩略图|截图|\b(?:preview|cover|thumb(?:nail)?s?|poster|image|img|gif)\b/i;
const VIDEO_LABEL_RE = /视频|播放|下载|影片|▶|\bplay|\bdownload|\b(?:videos?|watch|mp4)\b/i;

const MEDIA_EXT = new Set(['mp4', 'webm', 'mov', 'm4v']);
const IMAGE_EXT = new Set(['webp', 'png', 'jpg', 'jpeg', 'gif', 'avif']);

const GENERIC_FAILURE = 'Generation failed';
const MAX_FAILURE_LINES = 4;
const MAX_FAILURE_CHARS = 1000;

type LinkKind = 'videoUrl' | 'previewUrl' | 'taskPageUrl' | 'taskSourceUrl';
type FenceKind = 'echo' | 'error' | 'other';

interface Fence {
  kind: FenceKind;
  marker: string;
  body: string[];
  /** An ```html block (sora2api's answer): its media tags are read; JSON blocks never are. */
  markup: boolean;
}

/** The extension of a URL's path, lower-case, ignoring query string and fragment. */
function urlExtension(url: string): string {
  let end = url.length;
  const q = url.indexOf('?');
  if (q !== -1) end = q;
  const h = url.indexOf('#');
  if (h !== -1 && h < end) end = h;
  const path = url.slice(0, end);
  const dot = path.lastIndexOf('.');
  if (dot === -1 || dot < path.lastIndexOf('/')) return '';
  return path.slice(dot + 1).toLowerCase();
}

function classifyLink(isImage: boolean, label: string, url: string): LinkKind | undefined {
  const ext = urlExtension(url);
  const media = MEDIA_EXT.has(ext);
  const image = IMAGE_EXT.has(ext);
  // A task page / task source never is a media file: a .mp4 labelled "source" is still the video.
  if (!media && !image) {
    if (SOURCE_LABEL_RE.test(label)) return 'taskSourceUrl';
    if (PAGE_LABEL_RE.test(label)) return 'taskPageUrl';
  }
  const saysPreview = PREVIEW_LABEL_RE.test(label);
  const saysVideo = VIDEO_LABEL_RE.test(label);
  if (saysPreview && !saysVideo) return 'previewUrl';
  if (saysVideo && !saysPreview) return 'videoUrl';
  if (media) return 'videoUrl';
  if (image) return 'previewUrl';
  if (saysPreview || isImage) return 'previewUrl';
  return undefined;
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The message of an upstream error object, in whichever shape the relay passed it on. */
function errorMessage(v: unknown): string | undefined {
  if (!isRecord(v)) return undefined;
  return errorInfoFromValue(v).message?.trim().slice(0, MAX_FAILURE_CHARS) || undefined;
}

interface Num {
  value: number;
  end: number;
}

interface Nums {
  last?: Num;
  beforeLast?: Num;
  /** The last number followed by `%`. */
  lastPercent?: Num;
}

/** A number (`76`, `45.5`; `36..44` is two numbers) and whether a `%` follows it. */
const NUMBER_RE = /\d+(?:\.\d+)?( *%)?/g;

/** The numbers of `s` from `from`: one linear pass. */
function numbersIn(s: string, from: number): Nums {
  const out: Nums = {};
  NUMBER_RE.lastIndex = from;
  for (let m; (m = NUMBER_RE.exec(s));) {
    const digits = m[0].length - (m[1]?.length ?? 0);
    const num: Num = { value: Number(m[0].slice(0, digits)), end: m.index + digits };
    out.beforeLast = out.last;
    out.last = num;
    if (m[1]) out.lastPercent = num;
  }
  return out;
}

function clampProgress(n: number): number {
  return Math.min(100, Math.max(0, n));
}

/** Leading `>` quote markers and blanks. */
function stripQuote(line: string): string {
  return line.replace(/^[> \t\u3000]+/, '');
}

/** A failure line in the relay's words, minus leading markers (❌, >, emoji) and padding. */
function failureWords(phrase: string): string {
  return phrase
    .replace(/^[^\p{L}\p{N}]+/u, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_FAILURE_CHARS);
}

/** The echo's fields that are read as text (and dropped when they are not). */
const ECHO_TEXT_KEYS = new Set(['prompt', 'orientation', 'sid']);

class ReportScanner {
  constructor(
    private readonly baseUrl: string | undefined,
    private readonly complete: boolean,
  ) {}

  /** The progress read so far, forgotten so the next text is read afresh. */
  takeProgress(): number | undefined {
    const progress = this.progress;
    this.progress = undefined;
    return progress;
  }

  /** Reading the reasoning: its fenced blocks are never the echo. */
  inReasoning = false;
  phase?: ReportPhase;
  progress?: number;
  taskId?: string;
  reportSid?: string;
  echo?: TaskEcho;
  links: Partial<Record<LinkKind, string>> = {};
  /** The relay's failure words, the failure line then up to a few following lines. */
  failureLines: string[] = [];
  failureDetail?: string;
  /** The next fenced block is the upstream error that goes with a failure line. */
  expectErrorBlock = false;
  /** Whether the echo block (the first fenced block) has been seen. */
  echoSeen = false;
  /** Whether a report line (id, phase, link, failure) came before: then no block is the echo. */
  reportSeen = false;
  fence?: Fence;

  setPhase(p: ReportPhase): void {
    if (this.phase && TERMINAL.has(this.phase)) return;
    this.phase = p;
  }

  /** `open`: the last line of the text, not yet ended by a line break (it may still grow). */
  line(raw: string, open: boolean): void {
    if (this.fence) {
      this.fenceLine(raw);
      return;
    }
    const trimmed = raw.trim();
    if (trimmed.startsWith('```') || trimmed.startsWith('~~~')) {
      this.openFence(trimmed);
      return;
    }
    this.reportLine(raw, open);
  }

  openFence(trimmed: string): void {
    const ch = trimmed[0] ?? '`';
    let i = 0;
    while (trimmed[i] === ch) i++;
    const marker = ch.repeat(3);
    let rest = trimmed.slice(i);
    const lang = /^[\w+-]{0,40}/.exec(rest)?.[0] ?? '';
    rest = rest.slice(lang.length);
    const markup = /^(?:html?|xml|markdown|md)$/i.test(lang);
    let kind: FenceKind = 'other';
    if (this.expectErrorBlock) {
      kind = 'error';
      this.expectErrorBlock = false;
    } else if (!this.echoSeen && !this.reportSeen && !this.inReasoning && !markup) {
      kind = 'echo';
    }
    if (kind === 'echo') this.echoSeen = true;
    const close = rest.indexOf(marker);
    if (close !== -1) {
      if (markup) this.mediaTags(rest.slice(0, close));
      this.block(kind, rest.slice(0, close));
      return;
    }
    if (markup) this.mediaTags(rest);
    this.fence = { kind, marker, body: rest.trim() ? [rest] : [], markup };
  }

  fenceLine(raw: string): void {
    const fence = this.fence;
    if (!fence) return;
    if (fence.markup) this.mediaTags(raw);
    const trimmed = raw.trim();
    if (trimmed.startsWith(fence.marker)) {
      this.fence = undefined;
      this.block(fence.kind, fence.body.join('\n'));
    } else if (trimmed.endsWith(fence.marker)) {
      fence.body.push(trimmed.slice(0, trimmed.length - fence.marker.length));
      this.fence = undefined;
      this.block(fence.kind, fence.body.join('\n'));
    } else {
      fence.body.push(raw);
    }
  }

  /** A fenced block that never closed (the text is still streaming): use it if it parses. */
  finishOpenFence(): void {
    const fence = this.fence;
    if (!fence) return;
    this.fence = undefined;
    const body = fence.body;
    // A closing fence arriving a backtick at a time must not make the block unparseable.
    const last = body[body.length - 1];
    const text = last !== undefined && /^\s*`{1,2}\s*$/.test(last) ? body.slice(0, -1).join('\n') : body.join('\n');
    this.block(fence.kind, text);
  }

  block(kind: FenceKind, text: string): void {
    if (kind === 'other') return;
    const value = parseJson(text);
    if (kind === 'error') {
      const msg = errorMessage(value);
      if (msg && !this.failureDetail) this.failureDetail = msg;
      return;
    }
    if (!isRecord(value)) return;
    // A relay that answers with only an error object in the block, no echo of the prompt.
    if (!('prompt' in value) && 'error' in value && value.error) {
      this.setPhase('failed');
      if (this.phase === 'failed') this.failureDetail ??= errorMessage(value) ?? GENERIC_FAILURE;
      return;
    }
    // The named fields count only as text; everything else is kept as it came.
    this.echo = Object.fromEntries(Object.entries(value).filter(([k, v]) => !ECHO_TEXT_KEYS.has(k) || typeof v === 'string'));
  }

  reportLine(raw: string, open: boolean): void {
    const body = stripQuote(raw);
    if (!body.trim()) return;

    let phrase = body.includes('<') ? this.mediaTags(body) : body;
    phrase = phrase.replace(LINK_RE, (_m, bang: string, label: string, url: string) => {
      this.link(bang === '!', label, url);
      return ' ';
    });
    phrase = phrase.replace(BARE_URL_RE, (url) => {
      if (!open || this.complete) this.bareUrl(trimUrlTail(url));
      return ' ';
    });
    // While streaming, a link still being written ("[下载失败原因](htt") is not words of the report.
    if (open) {
      const bracket = phrase.lastIndexOf('[');
      if (bracket !== -1) phrase = phrase.slice(0, bracket);
    }

    // Ids first, cut out of the phrase so a token like task-error-1 is not read as a phase word.
    const id = TASK_ID_RE.exec(phrase);
    if (id) {
      if (this.taskId === undefined && id[1]) this.taskId = id[1];
      this.reportSeen = true;
      phrase = phrase.slice(0, id.index) + ' ' + phrase.slice(id.index + id[0].length);
    }
    const sid = SID_RE.exec(phrase);
    if (sid) {
      if (this.reportSid === undefined && sid[1]) this.reportSid = sid[1];
      this.reportSeen = true;
      phrase = phrase.slice(0, sid.index) + ' ' + phrase.slice(sid.index + sid[0].length);
    }
    if (!phrase.trim()) return;

    if (this.phase === 'failed') {
      this.addFailureLine(phrase);
      return;
    }
    this.phrase(phrase, open);
  }

  phrase(phrase: string, open: boolean): void {
    if (RETRYING_RE.test(phrase)) {
      this.reportSeen = true;
      this.setPhase('generating');
      return;
    }
    if (
      FAIL_MARK_RE.test(phrase) ||
      FAIL_ZH_RE.test(phrase) ||
      POLICY_ZH_RE.test(phrase) ||
      FAIL_EN_RE.test(phrase) ||
      POLICY_EN_RE.test(phrase)
    ) {
      this.reportSeen = true;
      if (this.phase === 'completed') return; // a completed report is not failed
      this.setPhase('failed');
      this.addFailureLine(phrase);
      return;
    }

    const lower = phrase.toLowerCase();
    const keyword = Math.max(lower.lastIndexOf('进度'), lower.lastIndexOf('進度'), lower.lastIndexOf('progress'));
    let progress: number | undefined;
    let progressLine = keyword !== -1;
    if (keyword !== -1) {
      const from = keyword + (lower.startsWith('progress', keyword) ? 8 : 2);
      const nums = numbersIn(phrase, from);
      let last = nums.last;
      // The number the text ends on may still be growing (`36..4` → `36..44`): wait for it.
      // (`45.` may become `45.5`, so a single trailing dot does not end it either.)
      if (last && open && (last.end === phrase.length || (last.end === phrase.length - 1 && phrase.endsWith('.')))) {
        last = nums.beforeLast;
      }
      if (last) progress = last.value;
    } else if (phrase.includes('%')) {
      const last = numbersIn(phrase, 0).lastPercent;
      if (last) {
        progress = last.value;
        progressLine = true;
      }
    }

    const trimmed = phrase.replace(/^[^\p{L}\p{N}]+/u, '');
    if (!progressLine && (COMPLETE_ZH_RE.test(trimmed) || COMPLETE_EN_RE.test(trimmed)) && !STILL_GOING_RE.test(trimmed)) {
      this.reportSeen = true;
      this.setPhase('completed');
      return;
    }
    if (progressLine) {
      this.reportSeen = true;
      if (this.phase && TERMINAL.has(this.phase)) return;
      this.setPhase('generating');
      if (progress !== undefined && Number.isFinite(progress)) this.progress = clampProgress(progress);
      else if (progress !== undefined) this.progress = 100; // an absurdly long digit run
      return;
    }
    if (GENERATING_RE.test(trimmed)) {
      this.reportSeen = true;
      this.setPhase('generating');
      return;
    }
    if (QUEUED_RE.test(trimmed)) {
      this.reportSeen = true;
      this.setPhase('queued');
    }
  }

  addFailureLine(phrase: string): void {
    if (this.failureLines.length >= MAX_FAILURE_LINES) return;
    const words = failureWords(phrase);
    if (!words) return;
    const used = this.failureLines.reduce((n, l) => n + l.length, 0);
    if (used >= MAX_FAILURE_CHARS) return;
    this.failureLines.push(words.slice(0, MAX_FAILURE_CHARS - used));
    this.expectErrorBlock = !this.failureDetail;
  }

  link(isImage: boolean, label: string, url: string): void {
    this.reportSeen = true;
    this.keep(classifyLink(isImage, label, url), url);
  }

  /** Keeps the first safe link of each kind; a video means the job is done. */
  keep(kind: LinkKind | undefined, url: string): void {
    if (!kind || this.links[kind] !== undefined) return;
    // Cheap pre-check so thousands of javascript:/data: links cost no URL parsing.
    if (!/^(?:https?:\/\/|\/)/i.test(url)) return;
    const safe = resolveHttpUrl(url, this.baseUrl);
    if (!safe) return;
    this.links[kind] = safe;
    if (kind === 'videoUrl') this.setPhase('completed');
  }

  /** A URL in running text counts when it points at a media file. */
  bareUrl(url: string): void {
    const ext = urlExtension(url);
    if (MEDIA_EXT.has(ext)) this.keep('videoUrl', url);
    else if (IMAGE_EXT.has(ext)) this.keep('previewUrl', url);
  }

  /**
   * Reads `<video>` / `<source>` / `<img>` tags: src of a video or source is the video (a source
   * whose file is an image excepted), a poster or an img src the preview. Returns the text with
   * the tags cut out, so words inside their attributes are not read as the report's.
   */
  mediaTags(text: string): string {
    return text.replace(MEDIA_TAG_RE, (_m, tag: string, attrs: string) => {
      this.reportSeen = true;
      const isImg = tag.toLowerCase() === 'img';
      ATTR_RE.lastIndex = 0;
      for (let m; (m = ATTR_RE.exec(attrs));) {
        const url = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
        if (m[1]?.toLowerCase() === 'poster' || isImg) this.keep('previewUrl', url);
        else this.keep(IMAGE_EXT.has(urlExtension(url)) ? 'previewUrl' : 'videoUrl', url);
      }
      return ' ';
    });
  }

  /** Reads one text line by line; the last line is open (it may still grow). */
  text(text: string): void {
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      const end = nl === -1 ? text.length : nl;
      let line = text.slice(pos, end);
      let open = nl === -1;
      if (line.endsWith('\r')) {
        line = line.slice(0, -1);
        open = false;
      }
      this.line(line, open);
      if (nl === -1) break;
      pos = nl + 1;
    }
    this.finishOpenFence();
  }

  snapshot(): TaskSnapshot {
    const out: TaskSnapshot = {};
    if (this.phase) out.phase = this.phase;
    const progress = this.phase === 'completed' ? 100 : this.progress;
    if (progress !== undefined) out.progress = progress;
    if (this.taskId) out.taskId = this.taskId;
    const echoSid = this.echo?.sid;
    const sid = this.reportSid ?? (echoSid && TOKEN_RE.test(echoSid) ? echoSid : undefined);
    if (sid) out.sid = sid;
    if (this.echo) out.echo = this.echo;
    for (const key of ['videoUrl', 'previewUrl', 'taskPageUrl', 'taskSourceUrl'] as const) {
      const url = this.links[key];
      if (url) out[key] = url;
    }
    if (this.phase === 'failed') {
      let failure = this.failureLines.join(' ');
      const detail = this.failureDetail;
      if (detail && !failure.includes(detail)) failure = failure ? `${failure} — ${detail}` : detail;
      out.failure = failure || GENERIC_FAILURE;
    }
    return out;
  }
}

/**
 * Reads the assistant's accumulated report (any prefix of it while it streams), and the answer's
 * reasoning beside it, into a snapshot. Pure and total: never throws, one linear pass over each.
 *
 * - `phase`: the last indication in text order wins, but `completed` and `failed` are terminal
 *   (the first of them stays). A safe video link means `completed`.
 * - `progress`: the last number on a progress line (`进度 36..44..`, `Progress 76..`, `76%`),
 *   clamped to 0..100; a number the text *ends on* is not counted yet, as it may still grow
 *   (`36..4` → `36..44`), so progress never goes backwards while streaming. 100 when completed.
 * - `sid`: the report's `sid:` line (the new video); the echo block's `sid` only as a fallback
 *   (on a remix turn that one is the previous video's, and stays readable as `echo.sid`).
 * - `echo`: the first fenced block before any report line, if it parses as a JSON object.
 * - links: markdown links, `<video|source src>` / `poster` / `<img src>` (in an ```html block
 *   too), bare URLs of media files, or an answer that is one URL alone; absolute http(s) or
 *   relative to `ctx.baseUrl`, nothing else (`resolveHttpUrl`); the first of each kind wins.
 * - reasoning: read after the content with the same rules (progress, phase words, failures);
 *   its blocks are never the echo, and the higher progress of the two wins.
 * - `failure`: the failure line in the relay's words plus a few following lines, and the
 *   message of a fenced upstream error JSON right after it; the echo block is never scanned.
 */
export function parseTaskReport(content: string, ctx: ReportContext = {}): TaskSnapshot {
  const complete = ctx.complete ?? true;
  const scanner = new ReportScanner(ctx.baseUrl, complete);
  const text = typeof content === 'string' ? content : '';
  scanner.text(text);
  // grok2api's answer can be the link alone, with no extension to say it is a video.
  if (scanner.links.videoUrl === undefined && text.length <= 8200 && (complete || text.endsWith('\n'))) {
    const lone = text.trim();
    if (LONE_URL_RE.test(lone) && !IMAGE_EXT.has(urlExtension(lone))) scanner.keep('videoUrl', lone);
  }
  const reasoning = ctx.reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') {
    // Progress of the content's own report and of the reasoning: the higher one is the latest.
    const before = scanner.takeProgress();
    scanner.inReasoning = true;
    scanner.expectErrorBlock = false;
    scanner.text(reasoning);
    if (before !== undefined && (scanner.progress === undefined || scanner.progress < before)) scanner.progress = before;
  }
  return scanner.snapshot();
}

/** The few entities a relay may write inside an attribute (`&amp;` in a signed URL). */
function decodeEntities(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&(amp|quot|#39|apos|lt|gt);/g, (_m, name: string) =>
    name === 'amp' ? '&' : name === 'quot' ? '"' : name === 'lt' ? '<' : name === 'gt' ? '>' : "'",
  );
}
