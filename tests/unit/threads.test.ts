import { describe, expect, it } from 'vitest';
import { applySnapshot, buildMessages, lastCompletedTurn, newThread, titleFromPrompt, type Turn } from '@/utils/threads/model';

const turn = (over: Partial<Turn>): Turn => ({
  id: over.id ?? Math.random().toString(36),
  prompt: 'p',
  status: 'completed',
  content: '',
  createdAt: 1,
  ...over,
});

describe('buildMessages (continuous modification)', () => {
  const t1 = turn({
    prompt: 'a cow dancing',
    content: '```json\n{"prompt":"a cow dancing"}\n```\n> sid: s_1\n[视频文件](https://v/1.mp4)',
  });
  const failed = turn({ prompt: 'make it blue', status: 'failed', content: '生成失败' });
  const cancelled = turn({ prompt: 'zoom', status: 'cancelled', content: '> 排队中' });
  const t2 = turn({ prompt: 'add a halo', content: '> sid: s_2\n[视频文件](https://v/2.mp4)' });
  const next = turn({ prompt: '  now at night ', status: 'pending' });

  it('sends every earlier completed turn verbatim, then the new prompt', () => {
    expect(buildMessages([t1, failed, cancelled, t2, next], 4)).toEqual([
      { role: 'user', content: 'a cow dancing' },
      { role: 'assistant', content: t1.content },
      { role: 'user', content: 'add a halo' },
      { role: 'assistant', content: t2.content },
      { role: 'user', content: '  now at night ' },
    ]);
  });

  it('a first turn sends only its prompt', () => {
    expect(buildMessages([t1], 0)).toEqual([{ role: 'user', content: 'a cow dancing' }]);
  });

  it('ignores turns after the target (a branch from an earlier version)', () => {
    expect(buildMessages([t1, t2, next], 1)).toEqual([
      { role: 'user', content: 'a cow dancing' },
      { role: 'assistant', content: t1.content },
      { role: 'user', content: 'add a halo' },
    ]);
  });

  it('throws for a missing turn', () => {
    expect(() => buildMessages([t1], 3)).toThrow(RangeError);
  });

  it('finds the latest completed turn', () => {
    expect(lastCompletedTurn({ ...newThread('x', 'sora-2', 'popup'), turns: [t1, t2, failed] })).toBe(t2);
  });
});

describe('titles and snapshots', () => {
  it('titles a thread with its first prompt on one line, shortened', () => {
    expect(titleFromPrompt('  a\n cat  ')).toBe('a cat');
    const long = titleFromPrompt('x'.repeat(200));
    expect(long).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
  });

  it('folds a snapshot without losing links learned earlier or moving progress back', () => {
    const t = turn({ status: 'generating', progress: 60, taskSourceUrl: 'https://r/t.json' });
    const next = applySnapshot(t, { phase: 'generating', progress: 40, taskId: 'task_1' }, 'text');
    expect(next).toMatchObject({
      status: 'generating',
      progress: 60,
      taskId: 'task_1',
      taskSourceUrl: 'https://r/t.json',
      content: 'text',
    });
  });

  it('a turn whose request left becomes queued before the relay says anything', () => {
    expect(applySnapshot(turn({ status: 'pending' }), {}, '').status).toBe('queued');
    expect(applySnapshot(turn({ status: 'queued' }), { phase: 'generating', progress: 5 }, 'x').status).toBe('generating');
  });
});
