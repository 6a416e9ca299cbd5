import { describe, expect, it } from 'vitest';
import { createSsePayloadDecoder } from '../../utils/chat/sse-payloads';

function decode(chunks: (string | Uint8Array)[]) {
  const payloads: unknown[] = [];
  const decoder = createSsePayloadDecoder((value) => payloads.push(value));
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return { payloads, decoder };
}

describe('createSsePayloadDecoder', () => {
  it('skips malformed events between good ones and counts them', () => {
    const { payloads, decoder } = decode(['data: {"n":1}\n\ndata: {"n":\n\ndata: not json\n\ndata: {"n":2}\n\ndata: [DONE]\n\n']);
    expect(payloads).toEqual([{ n: 1 }, { n: 2 }]);
    expect(decoder.parsed).toBe(2);
    expect(decoder.malformed).toBe(2);
    expect(decoder.sample).toBe('{"n":');
    expect(decoder.doneCount).toBe(1);
  });

  it('rebuilds a pretty-printed event from the lines the parser calls unknown fields', () => {
    const { payloads, decoder } = decode(['data: {\n  "a": [\n    1,\n    2\n  ],\n  "b": "x: y"\n}\n\n']);
    expect(payloads).toEqual([{ a: [1, 2], b: 'x: y' }]);
    expect(decoder.malformed).toBe(0);
  });

  it('recovers a pretty-printed event preceded by a stray non-SSE line', () => {
    const { payloads } = decode(['data: {"n":1}\n\n2025-10-13 12:00:01\ndata: {\n  "n": 2\n}\n\n']);
    expect(payloads).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('dispatches a last event left without its blank line, including `[DONE\\n]`', () => {
    const { payloads, decoder } = decode(['data: {"n":1}\n\ndata: [DONE\n]\n']);
    expect(payloads).toEqual([{ n: 1 }]);
    expect(decoder.doneCount).toBe(1);

    const unterminated = decode(['data: {"n":1}']);
    expect(unterminated.payloads).toEqual([{ n: 1 }]);
    expect(unterminated.decoder.doneCount).toBe(0);
  });

  it('reports each [DONE] in order and keeps decoding after it (gpt4free-ts sends two, the report in between)', () => {
    const seen: unknown[] = [];
    const decoder = createSsePayloadDecoder(
      (value, type) => seen.push(type ? { type, value } : value),
      () => seen.push('DONE'),
    );
    decoder.push('data: {"step":1}\n\ndata: [ DONE ]\n\ndata: {"late":true}\n\nevent: error\ndata: {"error":"x"}\n\ndata: [DONE]\n\n');
    decoder.end();
    expect(seen).toEqual([{ step: 1 }, 'DONE', { late: true }, { type: 'error', value: { error: 'x' } }, 'DONE']);
    expect(decoder.doneCount).toBe(2);
  });

  it('decodes bytes split inside multi-byte UTF-8 characters', () => {
    const bytes = new TextEncoder().encode('data: {"c":"生成完成 ✅🏃"}\n\n');
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    const { payloads } = decode(chunks);
    expect(payloads).toEqual([{ c: '生成完成 ✅🏃' }]);
  });

  it('does not count empty `data:` keep-alives or comments as malformed', () => {
    const { payloads, decoder } = decode([': ping\n\ndata:\n\ndata: {"n":1}\n\n']);
    expect(payloads).toEqual([{ n: 1 }]);
    expect(decoder.malformed).toBe(0);
  });

  it('reports nothing parsed for a body that is not SSE at all, with a sample', () => {
    const { payloads, decoder } = decode(['Service temporarily unavailable\nplease retry\n']);
    expect(payloads).toEqual([]);
    expect(decoder.parsed).toBe(0);
    expect(decoder.sample).toBe('Service temporarily unavailable');
  });
});

describe('createSsePayloadDecoder bounds', () => {
  it('an event that never ends stops the decoder past MAX_EVENT_CHARS instead of buffering it all', () => {
    const seen: unknown[] = [];
    const decoder = createSsePayloadDecoder((v) => seen.push(v));
    const line = `data: ${'x'.repeat(1024 * 1024)}\n`;
    for (let i = 0; i < 6; i++) decoder.push(line);
    decoder.push('\n');
    expect(decoder.overflow).toBe(true);
    expect(seen).toEqual([]);
  });
});
