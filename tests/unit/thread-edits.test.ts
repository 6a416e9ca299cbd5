import { describe, expect, it } from 'vitest';
import { renamed, restored } from '@/utils/threads/edits';
import { newThread } from '@/utils/threads/model';

describe('thread edits', () => {
  it('a rename is a change: it bumps updatedAt (an import keeps the newer copy by it)', () => {
    const t = newThread('a cow', 'sora-2', 'popup', 1000);
    expect(renamed(t, '  the   cow\n dancing ', 5000)).toMatchObject({ title: 'the cow dancing', updatedAt: 5000, createdAt: 1000 });
    expect(() => renamed(t, '   ', 5000)).toThrow(/title/i);
  });

  it('an undo brings the record back checked: only http(s) links, and nothing left "running"', () => {
    const t = newThread('a cow', 'sora-2', 'popup', 1000);
    t.turns[0] = {
      ...t.turns[0],
      status: 'generating',
      videoUrl: 'javascript:alert(1)',
      taskPageUrl: 'https://relay.test/t/1',
      previewUrl: 'data:image/png;base64,AA',
    };
    const back = restored(t, 9000);
    expect(back.turns[0]).toMatchObject({ status: 'cancelled', finishedAt: 9000, taskPageUrl: 'https://relay.test/t/1' });
    expect(back.turns[0]!.videoUrl).toBeUndefined();
    expect(back.turns[0]!.previewUrl).toBeUndefined();
    expect(() => restored({ id: 'x', turns: 'nope' }, 1)).toThrow(/cannot be restored/);
  });
});
