import { frameDone, frameEvent, frameNoise, frameRaw, splitAcrossWrites } from './framing';
import type { Report, ReportPiece } from './report';
import type { ResolvedScenario } from './scenarios';

export type Step = { delayMs: number; bytes: Buffer } | { delayMs: number; action: 'drop' | 'stall' };

export interface StreamPlan {
  steps: Step[];
  /** When (ms after the request) the report says generating / says its last word. */
  generatingAtMs: number;
  finalAtMs: number;
}

export interface ChunkMeta {
  chatId: string;
  created: number;
  model: string;
}

export function chunkEvent(meta: ChunkMeta, delta: Record<string, string>, finishReason: string | null = null): object {
  // Key order matches the seed byte for byte.
  return {
    id: meta.chatId,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** Where a mid-stream fault strikes by default: just after progress 44, or halfway. */
function defaultFaultIndex(pieces: ReportPiece[]): number {
  const at44 = pieces.findIndex((x) => x.text === '44..');
  // +1 for the role event that precedes the pieces, +1 to include the 44 itself.
  return at44 >= 0 ? at44 + 2 : Math.ceil(pieces.length / 2);
}

const MALFORMED = [
  '{"id":"chatcmpl-broken","choices":[{"delta":{"content":"lost',
  'not json at all',
  '{"choices":[{"delta":{"content":}]}',
];

export function planStream(scenario: ResolvedScenario, report: Report, meta: ChunkMeta): StreamPlan {
  const { framing, fault, spec } = scenario;
  const events: { delayMs: number; text: string; piece?: ReportPiece }[] = [];
  events.push({ delayMs: 0, text: frameEvent(framing, chunkEvent(meta, { role: 'assistant', content: '' })) });
  for (const piece of report.pieces) {
    const delayMs =
      piece.pace === 'progress' ? scenario.progressDelayMs : piece.pace === 'filler' ? scenario.fillerDelayMs : scenario.delayMs;
    const delta: Record<string, string> = piece.text === undefined ? {} : { content: piece.text };
    events.push({ delayMs, text: frameEvent(framing, chunkEvent(meta, delta)), piece });
  }
  events.push({ delayMs: scenario.delayMs, text: frameEvent(framing, chunkEvent(meta, {}, 'stop')) });

  let elapsed = 0;
  let generatingAtMs = 0;
  let finalAtMs = 0;
  const writes: { delayMs: number; text: string }[] = [];
  events.forEach((event, index) => {
    elapsed += event.delayMs;
    if (event.piece?.mark === 'generating') generatingAtMs = elapsed;
    if (event.piece?.mark === 'final') finalAtMs = elapsed;
    const noise = frameNoise(framing, index, event.delayMs > scenario.delayMs);
    const broken =
      fault === 'malformed' && index > 0 && index % 10 === 0 ? frameRaw(framing, MALFORMED[(index / 10) % MALFORMED.length]!) : '';
    writes.push({ delayMs: event.delayMs, text: noise + broken + event.text });
  });
  finalAtMs ||= elapsed;

  const faultAt = Math.min(spec.afterEvents ?? defaultFaultIndex(report.pieces), writes.length);
  let steps: Step[];
  switch (fault) {
    case 'drop':
    case 'stall':
      steps = [...toSteps(writes.slice(0, faultAt)), { delayMs: scenario.delayMs, action: fault }];
      break;
    case 'stream-error': {
      const error = {
        error: { message: spec.reason ?? 'upstream service error: generation aborted', type: 'upstream_error', code: 'upstream_error' },
      };
      steps = toSteps([...writes.slice(0, faultAt), { delayMs: scenario.delayMs, text: frameEvent(framing, error) }]);
      break;
    }
    case 'no-done':
      steps = toSteps(writes);
      break;
    case 'open-after-stop':
      steps = [...toSteps(writes), { delayMs: scenario.delayMs, action: 'stall' }];
      break;
    default:
      steps = toSteps([...writes, { delayMs: 0, text: frameDone(framing) }]);
  }
  if (scenario.splitUtf8) steps = resplit(steps);
  return { steps, generatingAtMs, finalAtMs };
}

function toSteps(writes: { delayMs: number; text: string }[]): Step[] {
  return writes.map((w) => ({ delayMs: w.delayMs, bytes: Buffer.from(w.text, 'utf8') }));
}

function resplit(steps: Step[]): Step[] {
  const writes = steps.filter((s): s is Extract<Step, { bytes: Buffer }> => 'bytes' in s);
  const actions = steps.filter((s) => 'action' in s);
  const cut = splitAcrossWrites(writes.map((s) => s.bytes));
  return [...cut.map((bytes, i) => ({ delayMs: writes[i]?.delayMs ?? 0, bytes })), ...actions];
}
