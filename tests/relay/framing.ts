/**
 * How events are laid out on the wire. 'pretty' is the seed's own layout: 4-space JSON spread
 * over many lines after `data: ` (continuation lines carry no `data:` prefix) and a final
 * `data: [DONE\n]` — not valid SSE, but what the document shows, so clients must cope.
 */
export type Framing = 'pretty' | 'compact' | 'crlf' | 'nospace' | 'keepalive-comments' | 'junk-lines';

export const FRAMINGS: readonly Framing[] = ['pretty', 'compact', 'crlf', 'nospace', 'keepalive-comments', 'junk-lines'];

export function frameEvent(framing: Framing, event: unknown): string {
  switch (framing) {
    case 'pretty':
      return `data: ${JSON.stringify(event, null, 4)}\n\n`;
    case 'crlf':
      return `data: ${JSON.stringify(event)}\r\n\r\n`;
    case 'nospace':
      return `data:${JSON.stringify(event)}\n\n`;
    default:
      return `data: ${JSON.stringify(event)}\n\n`;
  }
}

/** Raw text as one event (for the malformed scenario's broken JSON). */
export function frameRaw(framing: Framing, data: string): string {
  const eol = framing === 'crlf' ? '\r\n' : '\n';
  return `${framing === 'nospace' ? 'data:' : 'data: '}${data}${eol}${eol}`;
}

export function frameDone(framing: Framing): string {
  switch (framing) {
    case 'pretty':
      return 'data: [DONE\n]\n';
    case 'crlf':
      return 'data: [DONE]\r\n\r\n';
    case 'nospace':
      return 'data:[DONE]\n\n';
    default:
      return 'data: [DONE]\n\n';
  }
}

/**
 * Noise some relays put between events, written before event number `index`: comment lines as
 * keep-alives, or bare timestamps that are not SSE at all.
 */
export function frameNoise(framing: Framing, index: number, beforeSlowEvent: boolean): string {
  if (framing === 'keepalive-comments') {
    if (index === 0) return ': connected\n\n';
    return beforeSlowEvent || index % 5 === 0 ? ': keep-alive\n\n' : '';
  }
  if (framing === 'junk-lines' && index % 4 === 1) {
    const now = new Date();
    return index % 8 === 1 ? `${Math.floor(now.getTime() / 1000)}\n` : `${now.toISOString().replace('T', ' ').slice(0, 19)}\n`;
  }
  return '';
}

/**
 * Re-cuts a sequence of writes so that each boundary falls inside a multi-byte UTF-8 character
 * (or mid-line when the write is pure ASCII): the tail of each write goes out with the next one.
 */
export function splitAcrossWrites(writes: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let carry = Buffer.alloc(0);
  for (const write of writes) {
    const bytes = Buffer.concat([carry, write]);
    const cut = cutPoint(bytes, carry.length);
    out.push(bytes.subarray(0, cut));
    carry = bytes.subarray(cut);
  }
  if (carry.length > 0) out.push(carry);
  return out;
}

function cutPoint(bytes: Buffer, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    // A lead byte of a multi-byte sequence: cut right after it.
    if ((bytes[i]! & 0xc0) === 0xc0) return i + 1;
  }
  return Math.max(1, from + Math.floor((bytes.length - from) / 2));
}
