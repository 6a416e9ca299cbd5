import { beforeEach, describe, expect, it } from 'vitest';
import { browser } from 'wxt/browser';
import { describeError } from '@/utils/relay/error-text';
import { INDEX_KEY } from '@/utils/threads/storage-keys';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { buildExport, importInto, planMerge, sanitizeThread } from '@/utils/threads/backup';
import { parseImport } from '@/utils/threads/backup-file';
import { readIndex, readThreads, ThreadWriter } from '@/utils/threads/store';
import { newThread, type Thread } from '@/utils/threads/model';

const KEY = 'sk-live-0123456789abcdef';

function done(prompt: string, n: number, at = 1000): Thread {
  const t = newThread(prompt, 'sora-2', 'popup', at);
  t.turns[0] = {
    ...t.turns[0],
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
      JSON.stringify({
        format: 'sora-threads-export',
        version: 1,
        exportedAt: '',
        threads: [
          {
            id: 'x',
            title: 't',
            model: 'm',
            createdAt: 1,
            updatedAt: 1,
            turns: [{ id: 'u', prompt: 'p', status: 'exploded', content: '', createdAt: 1 }],
          },
        ],
      }),
      /damaged at threads\.0\.turns\.0\.status/,
    ],
    [
      'no turns',
      JSON.stringify({
        format: 'sora-threads-export',
        version: 1,
        exportedAt: '',
        threads: [{ id: 'x', title: 't', model: 'm', createdAt: 1, updatedAt: 1, turns: [] }],
      }),
      /damaged/,
    ],
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

  it('says what became of turns that were running or waiting when the file was made (not "Connection lost")', () => {
    const t = done('a', 1);
    t.turns.push(
      { ...t.turns[0]!, id: 'turn_run', status: 'generating', videoUrl: undefined },
      { ...t.turns[0]!, id: 'turn_wait', status: 'pending', content: '' },
    );
    const [, running, waiting] = sanitizeThread(t).turns;
    expect(running).toMatchObject({
      status: 'interrupted',
      error: {
        kind: 'interrupted',
        message: expect.stringMatching(/still running when the history was exported; it may have finished on the relay/) as string,
      },
    });
    expect(describeError(running!.error!).title).toBe('Stopped before it finished');
    expect(waiting).toMatchObject({
      status: 'cancelled',
      error: { kind: 'cancelled', message: 'This prompt was still waiting in line when the history was exported, so it was never sent.' },
    });
    expect([running, waiting].map((x) => describeError(x!.error!).title)).not.toContain('Connection lost');
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
    expect(parseImport('{"format":"sora-threads-export","version":1}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/damaged/) as string,
    });
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

  it('an import writes the index once, not once per thread', async () => {
    const indexWrites: number[] = [];
    const w = new ThreadWriter(async (items) => {
      if (INDEX_KEY in items) indexWrites.push((items[INDEX_KEY] as unknown[]).length);
      await browser.storage.local.set(items);
    });
    await w.load();
    const mine = done('mine', 0, 500);
    await w.put(mine, { immediate: true });
    indexWrites.length = 0;
    const threads = Array.from({ length: 250 }, (_, i) => done(`t${i}`, i + 1, 1000 + i));
    expect(await importInto(w, threads)).toEqual({ added: 250, updated: 0, unchanged: 0 });
    expect(indexWrites).toEqual([251]);
    const index = await readIndex();
    expect(index).toHaveLength(251);
    expect(index[0]!.title).toBe('t249'); // newest first
    expect(index[250]!.id).toBe(mine.id);
    expect((await readThreads(index.map((e) => e.id))).value).toHaveLength(251);
  });

  it('a storage failure in the middle of an import is reported, and leaves the history as it was', async () => {
    let calls = 0;
    const w = new ThreadWriter(async (items) => {
      // The second batch of an import does not fit.
      if (Object.keys(items).length > 50 && ++calls === 2) throw new Error('QUOTA_BYTES quota exceeded');
      await browser.storage.local.set(items);
    });
    await w.load();
    const mine = done('mine', 0, 500);
    await w.put(mine, { immediate: true });
    const before = await browser.storage.local.get(null);
    const newer = { ...mine, title: 'renamed in the file', updatedAt: mine.updatedAt + 10 };
    const threads = [newer, ...Array.from({ length: 150 }, (_, i) => done(`t${i}`, i + 1, 1000 + i))];
    await expect(importInto(w, threads)).rejects.toThrow(/Browser storage is full/);
    expect(await browser.storage.local.get(null)).toEqual(before);
    expect(w.entries().map((e) => e.id)).toEqual([mine.id]);
    expect((await w.get(mine.id))?.title).toBe('mine');
  });
});
