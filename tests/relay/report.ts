import { tokenize } from './tokens';

/** Which assistant text a job streams. */
export type ReportVariant =
  | 'seed'
  | 'english'
  | 'real-links'
  | 'sid-backticks'
  | 'landscape-extra'
  | 'fail-plain'
  | 'fail-reason'
  | 'fail-english'
  | 'policy'
  | 'html-inject'
  | 'big';

/**
 * One chat.completion.chunk worth of content. `text` undefined is the seed's bare `delta: {}`
 * event. `pace` picks the gap before it; `mark` tells the job clock when the relay says the
 * job started generating and when it said the final word.
 */
export interface ReportPiece {
  text?: string;
  pace?: 'progress' | 'filler';
  mark?: 'generating' | 'final';
}

export interface Report {
  pieces: ReportPiece[];
  outcome: 'completed' | 'failed';
  failure?: string;
}

export interface JobLinks {
  taskPage: string;
  taskSource: string;
  preview: string;
  previewPng: string;
  video: string;
}

export interface ReportInput {
  taskId: string;
  sid: string;
  /** The sid of the video being remixed, echoed back when the history has one. */
  echoSid?: string;
  prompt: string;
  links: JobLinks;
  noSource?: boolean;
  reason?: string;
  sizeBytes?: number;
}

const p = (text: string, extra: Omit<ReportPiece, 'text'> = {}): ReportPiece => ({ text, ...extra });

/** The ```json echo block, token by token exactly as the seed streams it. */
function echoBlock(fields: Record<string, string | number>): ReportPiece[] {
  const out = ['```', 'json', '\n', '{\n'];
  const entries = Object.entries(fields);
  entries.forEach(([key, value], i) => {
    const last = i === entries.length - 1;
    out.push(' ', ' "', key, '":');
    if (typeof value === 'number') {
      out.push(` ${value}`, last ? '\n' : ',\n');
    } else {
      out.push(' "', ...tokenize(value, { idLike: key === 'sid' }), last ? '"\n' : '",\n');
    }
  });
  out.push('}\n', '```');
  return out.map((t) => p(t));
}

function echoFields(input: ReportInput, extra: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    prompt: input.prompt,
    orientation: 'portrait',
    ...extra,
    ...(input.echoSid ? { sid: input.echoSid } : {}),
  };
}

interface Wording {
  id: string;
  taskPage: string;
  taskSource: string;
  queued: string;
  dots: number;
  generating: string;
  progress: string;
  complete: string;
}

const CHINESE: Wording = {
  id: '> ID: ',
  taskPage: '数据预览(示例)',
  taskSource: '原始数据(示例)',
  queued: '> 排队中',
  dots: 5,
  generating: '> 生成中',
  progress: '>🏃 进度 ',
  complete: '> 生成完成 ✅',
};

const ENGLISH: Wording = {
  id: '> Task ID: ',
  taskPage: 'Task page',
  taskSource: 'Source data',
  queued: '> Queuing',
  dots: 3,
  generating: '> Generating',
  progress: '>🏃 Progress ',
  complete: '> Generating Complete ✅',
};

/** From the task id to the last progress step: what every variant shares. */
function statusLines(input: ReportInput, w: Wording, steps = [36, 44, 61, 69, 81], injected = ''): ReportPiece[] {
  const source = input.noSource ? '' : ` | [${w.taskSource}](${input.links.taskSource})`;
  const head = `\n\n${w.id}\`${input.taskId}\`${injected}\n>[${w.taskPage}](${input.links.taskPage})${source}\n${w.queued}`;
  const [first, ...more] = steps;
  return [
    p(head),
    ...Array.from({ length: w.dots }, () => p('.')),
    p(`\n${w.generating}`, { mark: 'generating' }),
    p('.'),
    ...(first === undefined
      ? []
      : [p(`\n\n${w.progress}${first}..`, { pace: 'progress' }), ...more.map((n) => p(`${n}..`, { pace: 'progress' }))]),
  ];
}

function bigFiller(sizeBytes: number): ReportPiece[] {
  // Dots, as a long-running job on a chatty relay piles them up; 64 KiB a chunk.
  const chunk = '.'.repeat(64 * 1024);
  return Array.from({ length: Math.max(1, Math.round(sizeBytes / chunk.length)) }, () => p(chunk, { pace: 'filler' }));
}

const DEFAULT_REASON: Partial<Record<ReportVariant, string>> = {
  'fail-reason': 'upstream returned an error (502 Bad Gateway)',
  'fail-english': 'upstream error, please try again later',
  policy: 'This content may violate our content policies.',
};

export function buildReport(variant: ReportVariant, input: ReportInput): Report {
  const { sid, links } = input;
  const reason = input.reason ?? DEFAULT_REASON[variant];
  const done = (text: string): ReportPiece => p(text, { mark: 'final' });
  const seedEnd = `\n\n${CHINESE.complete}\n> sid: ${sid}\n\n[预览图(示例)](${links.preview})\n[视频文件(示例)](${links.video})`;
  const echo = echoBlock(echoFields(input));
  const bare: ReportPiece = {};
  switch (variant) {
    case 'seed':
      return { outcome: 'completed', pieces: [...echo, bare, ...statusLines(input, CHINESE), done(seedEnd)] };
    case 'english':
      return {
        outcome: 'completed',
        pieces: [
          ...echo,
          ...statusLines(input, ENGLISH),
          done(`\n\n${ENGLISH.complete}\n> sid: ${sid}\n\n[Preview image](${links.previewPng})\n[Download video](${links.video})`),
        ],
      };
    case 'real-links': {
      const w = { ...CHINESE, taskPage: '数据预览', taskSource: '原始数据' };
      return {
        outcome: 'completed',
        pieces: [
          ...echo,
          ...statusLines(input, w),
          done(`\n\n${w.complete}\n> sid: ${sid}\n\n![webp](${links.preview})\n\n[在线播放▶️](${links.video})\n`),
        ],
      };
    }
    case 'sid-backticks':
      return {
        outcome: 'completed',
        pieces: [...echo, bare, ...statusLines(input, CHINESE), done(seedEnd.replace(`sid: ${sid}`, `sid: \`${sid}\``))],
      };
    case 'landscape-extra':
      return {
        outcome: 'completed',
        pieces: [
          ...echoBlock(echoFields(input, { orientation: 'landscape', duration: 15, size: '1280x720' })),
          ...statusLines(input, CHINESE),
          done(seedEnd),
        ],
      };
    case 'fail-plain':
      return fail('生成失败', [...echo, ...statusLines(input, CHINESE, [36, 44]), done('\n\n生成失败')]);
    case 'fail-reason': {
      const upstream = { error: { message: reason, type: 'upstream_error', code: 'bad_gateway' } };
      const fence = `\`\`\`json\n${JSON.stringify(upstream, null, 2)}\n\`\`\``;
      return fail(reason!, [...echo, ...statusLines(input, CHINESE, [36, 44]), done(`\n\n生成失败: ${reason}\n${fence}\n`)]);
    }
    case 'fail-english':
      return fail(reason!, [...echo, ...statusLines(input, ENGLISH, [36]), done(`\n\nGeneration failed: ${reason}`)]);
    case 'policy':
      // Rejected before it ever ran: no progress, no 生成失败, only the policy wording.
      return fail(reason!, [...echo, ...statusLines(input, CHINESE, []), done(`\n\n❌ ${reason}`)]);
    case 'html-inject':
      return {
        outcome: 'completed',
        pieces: [
          ...echo,
          ...statusLines(input, CHINESE, undefined, '\n<img src=x onerror=alert(1)><script>alert(2)</script>'),
          done(`\n\n${CHINESE.complete}\n> sid: ${sid}\n\n[预览图](${links.preview})\n[视频文件](javascript:alert(1))`),
        ],
      };
    case 'big': {
      const [head, ...tail] = statusLines(input, CHINESE);
      const beforeProgress = tail.findIndex((x) => x.pace === 'progress');
      return {
        outcome: 'completed',
        pieces: [
          ...echo,
          bare,
          head!,
          ...tail.slice(0, beforeProgress),
          ...bigFiller(input.sizeBytes ?? 5_000_000),
          ...tail.slice(beforeProgress),
          done(seedEnd),
        ],
      };
    }
  }
}

function fail(failure: string, pieces: ReportPiece[]): Report {
  return { outcome: 'failed', failure, pieces };
}

/** The whole assistant text, for non-streamed answers and for tests. */
export const reportText = (report: Report): string => report.pieces.map((x) => x.text ?? '').join('');
