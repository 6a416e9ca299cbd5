import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { buildExport, importInto, planMerge, sanitizeThread } from '@/utils/threads/backup';
import { parseImport } from '@/utils/threads/backup-file';
import { readIndex, readThreads, ThreadWriter } from '@/utils/threads/store';
import { newThread, type Thread } from '@/utils/threads/model';

const KEY = 'sk-live-0123456789abcdef';

function done(prompt: string, n: number, at = 1000): Thread {
  const t = newThread(prompt, 'sora-2', 'popup', at);
  t.turns[0] = {
    ...t.turns[0]!,
    status: 'completed',
    progress: 100,
    taskId: `task_${n}`,
    sid: `s_${n}`,
    videoUrl: `https://cdn.example/${n}.mp4`,
    content: `> sid: s_${n}\n[视频文件](https://cdn.example/${n}.mp4)`,
  };
  return t;
}

beforeEach(() => fakeBrowser.reset());

describe('export / import', () => {
  it('round-trips every thread exactly', () => {
    const threads = [done('a', 1), done('b', 2)];
    const parsed = parseImport(buildExport(threads, KEY));
    expect(parsed).toEqual({ ok: true, threads });
  });

  it('never writes the API key, even when a relay echoed it into an answer', () => {
    const t = done('a', 1);
    t.turns[0]!.content += `\nyour key ${KEY} was used`;
    const file = buildExport([t], KEY);
    expect(file).not.toContain(KEY);
    expect(file).not.toContain('apiKey');
  });

  it.each([
    ['not JSON', '{"format": ', /not valid JSON/],
    ['another JSON file', '{"hello": 1}', /not a Sora Threads export/],
    ['a newer format', JSON.stringify({ format: 'sora-threads-export', version: 9, exportedAt: '', threads: [] }), /newer version/],
    [
      'a damaged thread',
      JSON.stringify({ format: 'sora-threads-export', version: 1, exportedAt: '', threads: [{ id: 'x', title: 't', model: 'm', createdAt: 1, updatedAt: 1, turns: [{ id: 'u', prompt: 'p', status: 'exploded', content: '', createdAt: 1 }] }] }),
      /damaged at threads\.0\.turns\.0\.status/,
    ],
    ['no turns', JSON.stringify({ format: 'sora-threads-export', version: 1, exportedAt: '', threads: [{ id: 'x', title: 't', model: 'm', createdAt: 1, updatedAt: 1, turns: [] }] }), /damaged/],
  ])('rejects %s with a clear message', (_name, text, msg) => {
    const r = parseImport(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(msg);
  });

  it('drops non-http links and turns jobs that were running into interrupted ones', () => {
    const t = done('a', 1);
    t.turns[0]!.videoUrl = 'javascript:alert(1)';
    t.turns.push({ ...t.turns[0]!, id: 'turn_2', status: 'generating', videoUrl: undefined, previewUrl: 'data:image/png;base64,AAA' });
    const r = parseImport(buildExport([t]));
    if (!r.ok) throw new Error(r.error);
    const [a, b] = sanitizeThread(r.threads[0]!).turns;
    expect(a!.videoUrl).toBeUndefined();
    expect(b!.status).toBe('interrupted');
    expect(b!.previewUrl).toBeUndefined();
  });

  it('merges: adds new threads, updates older copies, keeps what is newer here', () => {
    const mine = done('mine', 1, 1000);
    const theirsNewer = { ...mine, title: 'renamed', updatedAt: mine.updatedAt + 5 };
    const other = done('other', 2);
    const plan = planMerge(new Map([[mine.id, mine]]), [theirsNewer, other, other]);
    expect(plan.counts).toEqual({ added: 1, updated: 1, unchanged: 0 });
    expect(plan.write.map((t) => t.title)).toEqual(['renamed', 'other']);
    const stale = planMerge(new Map([[mine.id, theirsNewer]]), [mine]);
    expect(stale.counts).toEqual({ added: 0, updated: 0, unchanged: 1 });
  });

  it('export → clear → import restores the history; a corrupt file changes nothing', async () => {
    const w = new ThreadWriter();
    await w.load();
    const threads = [done('a', 1, 1000), done('b', 2, 2000)];
    for (const t of threads) await w.put(t, { immediate: true });
    const file = buildExport((await w.all()).value);

    await fakeBrowser.storage.local.clear();
    const fresh = new ThreadWriter();
    await fresh.load();
    expect(parseImport('{"format":"sora-threads-export","version":1}')).toMatchObject({ ok: false, error: expect.stringMatching(/damaged/) });
    // The background re-checks what a page sends: one bad record rejects the whole batch.
    await expect(importInto(fresh, [threads[0], { id: 'x', turns: 'nope' }])).rejects.toThrow(/Thread 2 of the file is damaged/);
    expect(await fakeBrowser.storage.local.get(null)).toEqual({});

    const parsed = parseImport(file);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(await importInto(fresh, parsed.threads)).toEqual({ added: 2, updated: 0, unchanged: 0 });
    expect((await readIndex()).map((e) => e.title)).toEqual(['b', 'a']);
    expect((await readThreads(threads.map((t) => t.id))).value).toEqual(threads);
    expect(await importInto(fresh, parsed.threads)).toEqual({ added: 0, updated: 0, unchanged: 2 });
  });

  it('a thread deleted in this session comes back when the user imports it', async () => {
    const w = new ThreadWriter();
    await w.load();
    const t = done('a', 1);
    await w.put(t, { immediate: true });
    await w.remove(t.id);
    expect(await importInto(w, [t])).toEqual({ added: 1, updated: 0, unchanged: 0 });
    expect((await readThreads([t.id])).value).toEqual([t]);
    expect((await readIndex()).map((e) => e.id)).toEqual([t.id]);
  });
});
