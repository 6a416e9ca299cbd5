import { describe, expect, it } from 'vitest';
import { describeConnection } from '@/utils/relay/connection-text';
import { sanitizeSegment, videoFilename } from '@/utils/media/download-name';
import { formatDuration, plural } from '@/utils/format';

describe('download filenames', () => {
  it('is Sora Threads/<title>/<n>-<task id>.<ext>', () => {
    expect(videoFilename('A cat', 2, 'task_01abc', 'https://x.example/v/a.mp4?sig=1')).toBe('Sora Threads/A cat/2-task_01abc.mp4');
    expect(videoFilename('A cat', 1, undefined, 'https://x.example/play')).toBe('Sora Threads/A cat/1.mp4');
    expect(videoFilename('A cat', 1, 't', 'https://x.example/a.WEBM#t=1')).toBe('Sora Threads/A cat/1-t.webm');
  });

  it('removes what any OS refuses or what could disguise a name', () => {
    expect(sanitizeSegment('a/b\\c:d*e?f"g<h>i|j')).toBe('a b c d e f g h i j');
    expect(sanitizeSegment('line\nbreak\ttab\u0000nul')).toBe('line break tab nul');
    expect(sanitizeSegment('evil\u202Egpj.exe')).toBe('evil gpj.exe');
    expect(sanitizeSegment('  ..hidden. . ')).toBe('hidden');
    expect(sanitizeSegment('...')).toBe('video');
    expect(sanitizeSegment('')).toBe('video');
    expect(sanitizeSegment('CON')).toBe('_CON');
    expect(sanitizeSegment('lpt1.txt')).toBe('_lpt1.txt');
    expect(sanitizeSegment('console')).toBe('console');
  });

  it('bounds the length without splitting a character', () => {
    const long = '🐱'.repeat(100);
    const s = sanitizeSegment(long);
    expect(Array.from(s)).toHaveLength(60);
    expect(s).toBe('🐱'.repeat(60));
    expect(sanitizeSegment(`${'a'.repeat(59)}. b`)).toBe('a'.repeat(59));
    expect(sanitizeSegment('生成一段高清的,牛马跳舞的视频')).toBe('生成一段高清的,牛马跳舞的视频');
  });
});

describe('format', () => {
  it('durations and counts', () => {
    expect(formatDuration(75_000)).toBe('1:15');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(-5)).toBe('0:00');
    expect(plural(1, 'version')).toBe('1 version');
    expect(plural(1000, 'thread')).toBe('1,000 threads');
  });
});

describe('Test connection, in words', () => {
  it('says which field to fix', () => {
    expect(describeConnection({ ok: true, models: ['sora-2', 'sora-2-pro'] })).toEqual({
      ok: true,
      title: 'Connection OK. 2 models found.',
    });
    expect(describeConnection({ ok: true, models: [] }).title).toMatch(/listed no models/);
    expect(describeConnection({ ok: false, kind: 'auth', message: 'HTTP 401: Invalid API key' })).toEqual({
      ok: false,
      title: 'Bad API key: the relay refused it. Check the key and try again.',
      detail: 'HTTP 401: Invalid API key',
    });
    expect(describeConnection({ ok: false, kind: 'network', message: 'x' }).title).toMatch(/^Unreachable/);
    expect(describeConnection({ ok: false, kind: 'incompatible', message: 'x' }).title).toMatch(/^Not OpenAI-compatible/);
    expect(describeConnection({ ok: false, kind: 'not-found', message: 'x' }).title).toMatch(/API base URL/);
  });
});
