/*
 * What a test can ask of one video job (a "job scenario"), and the status scripts each flavour
 * plays by default. See tests/relay/videos.ts for how tests use them.
 */
import type { ContentOptions } from './videos-content';

export const VIDEO_FLAVOURS = ['new-api', 'grok2api', 'grok2api-3', 'none'] as const;
/**
 * new-api: QuantumNous/new-api. grok2api: chenyme/grok2api ≤ 2.0.4 (Python), the last version
 * with OpenAI's Videos shape. grok2api-3: its Go rewrite, only as far as Test connection sees it
 * (no POST /v1/videos). none: a relay without the Videos API (the generic 404).
 */
export type VideoFlavour = (typeof VIDEO_FLAVOURS)[number];

export type JobStatus = 'unknown' | 'queued' | 'in_progress' | 'completed' | 'failed';

/** One status of a job's life; it ends once `ms` have passed AND it has answered `polls` polls. */
export interface JobStep {
  status: JobStatus;
  progress: number;
  ms?: number;
  polls?: number;
}

export interface VideoJobSpec {
  /** completed (default) | failed | never: stays in progress for ever (deadline tests). */
  outcome?: 'completed' | 'failed' | 'never';
  /**
   * How a failure reads. reason (default): the relay's words (`reason`, `code`).
   * no-message: new-api = a Veo job, no error object at all; grok2api = error.message "".
   * empty-error: new-api = Kling's {"message":"","code":""}, model "" and ms timestamps.
   * reason-as-url: new-api = the reason text in metadata.url (MiniMax/Hailuo timeout sweep).
   * no-status: new-api passthrough = {"error":{…},"id":…}, no status field at all.
   * grok2api has only reason and empty message; its other kinds read as no-message.
   */
  failure?: 'reason' | 'no-message' | 'empty-error' | 'reason-as-url' | 'no-status';
  reason?: string;
  /** new-api error.code with `reason` (default the fixture's). */
  code?: string;
  /**
   * new-api only. converted (default): a Doubao-like channel — unknown first, coarse progress,
   * metadata.url. passthrough: an OpenAI/Sora upstream — its JSON with nulls, real progress.
   */
  channel?: 'converted' | 'passthrough';
  /**
   * new-api converted, once completed. cdn (default): metadata.url on the mock CDN (another
   * origin, no key, a signed-looking query with '&'). cdn-same-origin: the same on the relay's
   * own origin. proxy: http://localhost:3000/v1/videos/{id}/content (new-api's default
   * ServerAddress). proxy-relay: the same on the relay's origin. empty: {"url":""}. none: no metadata.
   */
  videoUrl?: 'cdn' | 'cdn-same-origin' | 'proxy' | 'proxy-relay' | 'empty' | 'none';
  /**
   * What a remix POST taking this spec does (new-api; grok2api has no remix route at all).
   * supported (default): a new job, remixed_from_video_id = the source's upstream id.
   * unsupported: the upstream's 404 as fail_to_fetch_task. new-generation: a plain create of
   * the source's model (new id, no remixed_from_video_id), as converted channels do.
   */
  remix?: 'supported' | 'unsupported' | 'new-generation';
  /** time (default): steps last their ms. polls: every poll moves one step on. */
  pace?: 'time' | 'polls';
  /** Multiplies every step's ms (0 = as fast as polled). */
  slow?: number;
  /** The whole script, instead of the flavour's. The last step lasts for ever. */
  steps?: JobStep[];
  /** grok2api: progress reads 100 (while "downloading") before completed. */
  reach100?: boolean;
  /** The relay forgets the job this long after creation (unknown id afterwards). */
  forgetAfterMs?: number;
  /** Refuse a create that carries an image: 400 with this text (true: a default sentence). */
  rejectImages?: boolean | string;
  /** new-api: the upstream is saturated, 429 with new-api's rewritten message. */
  busy?: boolean;
  /** The /content body: size, pace, a cut mid-body, Range support. */
  content?: ContentOptions;
  /**
   * new-api converted with a CDN link: what /content does once that link expired. serves
   * (default) or upstream-error: 502 "Upstream service returned status 403" (new-api proxies
   * the stored CDN link, so a dead link kills /content too).
   */
  contentAfterLinkExpiry?: 'serves' | 'upstream-error';
  /** Pin what is fresh per job, to compare answers byte for byte with the fixtures. */
  id?: string;
  /** Unix seconds. */
  createdAt?: number;
  /** new-api passthrough: the upstream's own video id. */
  upstreamId?: string;
}

type KeyRule = readonly unknown[] | 'number' | 'string' | 'boolean' | 'object' | 'string|boolean';

const KEYS: Record<keyof VideoJobSpec, KeyRule> = {
  outcome: ['completed', 'failed', 'never'],
  failure: ['reason', 'no-message', 'empty-error', 'reason-as-url', 'no-status'],
  reason: 'string',
  code: 'string',
  channel: ['converted', 'passthrough'],
  videoUrl: ['cdn', 'cdn-same-origin', 'proxy', 'proxy-relay', 'empty', 'none'],
  remix: ['supported', 'unsupported', 'new-generation'],
  pace: ['time', 'polls'],
  slow: 'number',
  steps: 'object',
  reach100: 'boolean',
  forgetAfterMs: 'number',
  rejectImages: 'string|boolean',
  busy: 'boolean',
  content: 'object',
  contentAfterLinkExpiry: ['serves', 'upstream-error'],
  id: 'string',
  createdAt: 'number',
  upstreamId: 'string',
};

/** Checks a spec from code or from the control endpoint; a typo throws instead of being ignored. */
export function toJobSpec(input: unknown): VideoJobSpec {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new Error('a job scenario is an object, e.g. {"outcome":"failed"}');
  for (const [key, value] of Object.entries(input)) {
    // Any key may come in: one that is not ours finds no rule.
    const rule = (KEYS as Partial<Record<string, KeyRule>>)[key];
    if (!rule) throw new Error(`unknown job scenario key ${JSON.stringify(key)}; known: ${Object.keys(KEYS).join(', ')}`);
    if (value === undefined) continue;
    const ok = Array.isArray(rule)
      ? rule.includes(value)
      : rule === 'string|boolean'
        ? typeof value === 'string' || typeof value === 'boolean'
        : typeof value === rule && value !== null;
    if (!ok)
      throw new Error(`job scenario ${key}: ${JSON.stringify(value)} is not ${typeof rule === 'string' ? `a ${rule}` : rule.join(' | ')}`);
  }
  const spec = input as VideoJobSpec;
  for (const step of spec.steps ?? []) {
    if (!['unknown', 'queued', 'in_progress', 'completed', 'failed'].includes(step.status) || typeof step.progress !== 'number') {
      throw new Error(`job scenario steps: ${JSON.stringify(step)} needs a status and a progress`);
    }
  }
  return { ...spec };
}

/** Default: about 2.4 s from create to the end, so e2e stays fast. */
export function scriptFor(flavour: VideoFlavour, spec: VideoJobSpec): JobStep[] {
  const steps = spec.steps ?? defaultSteps(flavour, spec);
  const slow = spec.slow ?? 1;
  return steps.map((s) => (spec.pace === 'polls' && !spec.steps ? { ...s, ms: 0, polls: 1 } : { ...s, ms: (s.ms ?? 0) * slow }));
}

function defaultSteps(flavour: VideoFlavour, spec: VideoJobSpec): JobStep[] {
  const running: JobStep[] =
    flavour === 'grok2api'
      ? [
          { status: 'queued', progress: 0, ms: 300 },
          { status: 'in_progress', progress: 1, ms: 300 },
          { status: 'in_progress', progress: 18, ms: 450 },
          { status: 'in_progress', progress: 42, ms: 450 },
          { status: 'in_progress', progress: 67, ms: 450 },
          { status: 'in_progress', progress: 91, ms: spec.reach100 ? 250 : 450 },
          ...(spec.reach100 ? [{ status: 'in_progress' as const, progress: 100, ms: 200 }] : []),
        ]
      : spec.channel === 'passthrough'
        ? [
            { status: 'queued', progress: 0, ms: 300 },
            { status: 'in_progress', progress: 14, ms: 500 },
            { status: 'in_progress', progress: 38, ms: 500 },
            { status: 'in_progress', progress: 63, ms: 500 },
            { status: 'in_progress', progress: 87, ms: 600 },
          ]
        : [
            // new-api shows `unknown` until its own poller first asks the provider: the first
            // poll always sees it. Then Doubao's coarse steps: queued 10, running 50.
            { status: 'unknown', progress: 0, ms: 300, polls: 1 },
            { status: 'queued', progress: 10, ms: 600 },
            { status: 'in_progress', progress: 50, ms: 1500 },
          ];
  if (spec.outcome === 'never') return running;
  const last = running[running.length - 1]!;
  if (spec.outcome === 'failed') {
    // new-api converted writes 100 on failure; a passthrough upstream its own (0); grok2api freezes.
    const progress = flavour === 'grok2api' ? last.progress : spec.channel === 'passthrough' ? 0 : 100;
    return [...running, { status: 'failed', progress }];
  }
  return [...running, { status: 'completed', progress: 100 }];
}
