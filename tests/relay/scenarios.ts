import { FIXTURE_SCENARIO_NAMES, type FixtureScenarioName } from './fixture-stream';
import type { Framing } from './framing';
import type { ReportVariant } from './report';

/** Transport failures, laid over any report. */
/** 'open-after-stop': the whole answer and its finish_reason, then no [DONE] and the socket kept open. */
export type Fault = 'none' | 'http-error' | 'stream-error' | 'drop' | 'stall' | 'never' | 'no-done' | 'open-after-stop' | 'malformed';

export type ScenarioName =
  | 'seed'
  | 'compact'
  | 'crlf'
  | 'keepalive-comments'
  | 'nospace'
  | 'junk-lines'
  | 'split-utf8'
  | Exclude<ReportVariant, 'seed'>
  | Exclude<Fault, 'none'>
  /** A real relay's answer, e.g. 'relay:grok2api/relative-url' (tests/fixtures/relays). */
  | FixtureScenarioName;

export interface ScenarioSpec {
  name: ScenarioName;
  /** Override the scenario's wire layout (e.g. an 'english' report in 'pretty' framing). */
  framing?: Framing;
  /** Gap before each chunk (default 40 ms). */
  delayMs?: number;
  /** Gap before each progress step, so a UI can be seen rising (default 200 ms). */
  progressDelayMs?: number;
  /**
   * Multiplies every gap: 0 streams as fast as possible, 3 is three times slower. For relay:*
   * scenarios it multiplies the relay's own pacing, fitted to about 2.4 s.
   */
  slow?: number;
  /** relay:* scenarios: cut the connection (no end of stream) right after this many writes. */
  dropAfter?: number;
  /** Leave out the task source link (`[原始数据](…)`). */
  noSource?: boolean;
  /** Failure text for fail-reason, fail-english, policy and stream-error. */
  reason?: string;
  /** http-error: status (default 500), body as OpenAI JSON or plain text, message, Retry-After seconds. */
  status?: number;
  body?: 'json' | 'text';
  message?: string;
  retryAfter?: number;
  /** drop / stall / stream-error: chunk events sent before the fault (default: right after progress 44). */
  afterEvents?: number;
  /** big: size of the answer in bytes (default 5,000,000). */
  sizeBytes?: number;
  /**
   * Any scenario: a request carrying an image part is refused with a 400 in the words of a relay
   * whose model takes no images (OpenAI's, passed on by relays); a string is the message instead.
   */
  rejectImages?: boolean | string;
}

export interface ResolvedScenario {
  spec: ScenarioSpec;
  report: ReportVariant;
  framing: Framing;
  fault: Fault;
  splitUtf8: boolean;
  delayMs: number;
  progressDelayMs: number;
  fillerDelayMs: number;
}

const FRAMING_NAMES: Partial<Record<ScenarioName, Framing>> = {
  seed: 'pretty',
  compact: 'compact',
  crlf: 'crlf',
  'keepalive-comments': 'keepalive-comments',
  nospace: 'nospace',
  'junk-lines': 'junk-lines',
};

const REPORT_NAMES: readonly ScenarioName[] = [
  'english',
  'real-links',
  'sid-backticks',
  'landscape-extra',
  'fail-plain',
  'fail-reason',
  'fail-english',
  'policy',
  'html-inject',
  'big',
];

const FAULT_NAMES: readonly ScenarioName[] = [
  'http-error',
  'stream-error',
  'drop',
  'stall',
  'never',
  'no-done',
  'open-after-stop',
  'malformed',
];

export const SCENARIO_NAMES: readonly ScenarioName[] = [
  ...(Object.keys(FRAMING_NAMES) as ScenarioName[]),
  'split-utf8',
  ...REPORT_NAMES,
  ...FAULT_NAMES,
  ...FIXTURE_SCENARIO_NAMES,
];

export function isScenarioName(name: unknown): name is ScenarioName {
  return typeof name === 'string' && (SCENARIO_NAMES as readonly string[]).includes(name);
}

/**
 * Accepts a name or a spec (from code or from `POST /__relay/scenario`); throws on an unknown
 * name so a typo in a test fails loudly instead of silently streaming the default.
 */
export function toSpec(input: ScenarioName | ScenarioSpec | Record<string, unknown>): ScenarioSpec {
  const raw: Record<string, unknown> = typeof input === 'string' ? { name: input } : { ...input };
  if (!isScenarioName(raw.name)) throw new Error(`unknown scenario ${JSON.stringify(raw.name)}; known: ${SCENARIO_NAMES.join(', ')}`);
  if ('no-source' in raw) {
    raw.noSource = Boolean(raw['no-source']);
    delete raw['no-source'];
  }
  return raw as unknown as ScenarioSpec;
}

export function resolveScenario(spec: ScenarioSpec): ResolvedScenario {
  const { name } = spec;
  const isReport = REPORT_NAMES.includes(name);
  const isFault = FAULT_NAMES.includes(name);
  // The seed itself is pretty-printed; every other scenario imitates real relays' one-line events.
  const framing = spec.framing ?? FRAMING_NAMES[name] ?? 'compact';
  const slow = spec.slow ?? 1;
  const delayMs = (spec.delayMs ?? 40) * slow;
  return {
    spec,
    report: isReport ? (name as ReportVariant) : 'seed',
    framing,
    fault: isFault ? (name as Fault) : 'none',
    splitUtf8: name === 'split-utf8',
    delayMs,
    progressDelayMs: (spec.progressDelayMs ?? 200) * slow,
    fillerDelayMs: delayMs / 4,
  };
}
