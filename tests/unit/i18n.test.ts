import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentLang, formatNumber, initI18n, pickLang, pluralKey, setMessages, t, type MessageKey } from '@/utils/i18n';
import { describeError } from '@/utils/relay/error-text';
import { formatWhen, plural } from '@/utils/format';
import { statusLabel } from '@/utils/threads/model';

type Messages = Record<string, { message: string; description?: string }>;
const read = (dir: string) => JSON.parse(readFileSync(`public/_locales/${dir}/messages.json`, 'utf8')) as Messages;
const en = read('en');
const zh = read('zh_CN');
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

afterEach(() => {
  setMessages('en', en);
  vi.unstubAllGlobals();
});

describe('dictionaries', () => {
  it('English and Chinese have exactly the same keys', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it('every message: same {placeholders} in both, not empty, Chrome-safe key, no `$`', () => {
    const problems: string[] = [];
    for (const key of Object.keys(en)) {
      if (!/^[a-zA-Z0-9_]+$/.test(key)) problems.push(`${key}: key`);
      for (const [lang, m] of [
        ['en', en[key]!],
        ['zh_CN', zh[key]!],
      ] as const) {
        if (!m.message.trim()) problems.push(`${key}: empty in ${lang}`);
        // `$` starts a placeholder in Chrome's own format, which these files also are.
        if (m.message.includes('$')) problems.push(`${key}: $ in ${lang}`);
      }
      if (placeholders(zh[key]!.message).join() !== placeholders(en[key]!.message).join()) problems.push(`${key}: placeholders differ`);
    }
    expect(problems).toEqual([]);
  });

  it('the manifest’s words exist', () => {
    const manifest = readFileSync('wxt.config.ts', 'utf8');
    const used = [...manifest.matchAll(/__MSG_(\w+)__/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThanOrEqual(4);
    for (const k of used) expect(en).toHaveProperty(k);
  });

  it('the Chinese is Chinese: every message that is not a name or a code has Han characters', () => {
    const same = Object.keys(en).filter((k) => zh[k]!.message === en[k]!.message);
    expect(same.sort()).toEqual(['actionTitle', 'extName', 'languageEn', 'languageZh']);
  });
});

describe('pickLang', () => {
  it('an explicit setting wins over the browser', () => {
    expect(pickLang('en', ['zh-CN'])).toBe('en');
    expect(pickLang('zh-CN', ['en-US'])).toBe('zh-CN');
  });

  it('auto: the first of the browser’s languages we ship; every Chinese is Simplified Chinese', () => {
    expect(pickLang('auto', ['zh-CN', 'en'])).toBe('zh-CN');
    expect(pickLang(undefined, ['zh'])).toBe('zh-CN');
    expect(pickLang('auto', ['zh-TW'])).toBe('zh-CN');
    expect(pickLang('auto', ['zh-Hans-SG'])).toBe('zh-CN');
    expect(pickLang('auto', ['en-US', 'zh-CN'])).toBe('en');
    expect(pickLang('auto', ['fr-FR', 'zh-CN'])).toBe('zh-CN');
    expect(pickLang('auto', ['fr-FR', 'de'])).toBe('en');
    expect(pickLang('auto', [])).toBe('en');
  });
});

describe('t', () => {
  it('fills {placeholders}, leaves unknown ones, falls back to English, then to the key', () => {
    expect(t('searchNone', { q: 'cat' })).toBe('No thread matches “cat”');
    expect(t('searchNone')).toBe('No thread matches “{q}”');
    const partial: Messages = { generate: { message: '生成' } };
    setMessages('zh-CN', partial, en);
    expect(t('generate')).toBe('生成');
    expect(t('download')).toBe('Download');
    setMessages('zh-CN', partial, partial);
    expect(t('download')).toBe('download');
  });

  it('speaks Chinese once the Chinese words are installed: statuses, counts, failures', () => {
    setMessages('zh-CN', zh, en);
    expect(currentLang()).toBe('zh-CN');
    expect(['pending', 'queued', 'generating', 'completed', 'failed'].map((s) => statusLabel(s as 'queued'))).toEqual([
      '等待中',
      '排队中',
      '生成中',
      '已完成',
      '失败',
    ]);
    expect(plural(1000, 'thread')).toBe('1,000 个对话');
    expect(plural(1, 'version')).toBe('1 个版本');
    expect(describeError({ kind: 'rate-limit', message: 'x', retryAfterSec: 20 })).toEqual({
      title: '请求过于频繁',
      advice: '请等待 20 秒，然后重试。',
    });
    expect(formatWhen(Date.UTC(2026, 2, 3, 12), Date.UTC(2026, 5, 1))).toMatch(/3月3日/);
  });

  it('plural keys follow each language’s rules', () => {
    expect(pluralKey('n_thread', 1)).toBe('n_thread_one');
    expect(pluralKey('n_thread', 2)).toBe('n_thread_other');
    setMessages('zh-CN', zh, en);
    expect(pluralKey('n_thread', 1)).toBe('n_thread_other');
    expect(formatNumber(12345)).toBe('12,345');
  });

  it('a key that is not in the English file does not compile', () => {
    // @ts-expect-error: not a message key
    const bad: MessageKey = 'no_such_key';
    expect(bad in en).toBe(false);
  });
});

describe('initI18n', () => {
  it('fetches the chosen language’s messages.json (and English to fall back on)', async () => {
    const urls: string[] = [];
    vi.stubGlobal('fetch', (url: string) => {
      urls.push(url);
      const body = url.includes('zh_CN') ? zh : en;
      return Promise.resolve(new Response(JSON.stringify(body)));
    });
    expect(await initI18n('zh-CN')).toBe('zh-CN');
    expect(urls.some((u) => u.endsWith('/_locales/zh_CN/messages.json'))).toBe(true);
    expect(urls.some((u) => u.endsWith('/_locales/en/messages.json'))).toBe(true);
    expect(t('generate')).toBe('生成');
    expect(await initI18n('en')).toBe('en');
    expect(t('generate')).toBe('Generate');
  });

  it('keeps the words it has when a file cannot be read', async () => {
    vi.stubGlobal('fetch', () => Promise.resolve(new Response('nope', { status: 404 })));
    expect(await initI18n('zh-CN')).toBe('en');
    expect(t('generate')).toBe('Generate');
  });
});

describe('failures kept with a turn', () => {
  it('are worded in the language in use when they happened, the relay’s own words untouched', async () => {
    const { relayErrorFromHttp } = await import('@/utils/relay/http-error');
    const { durationText } = await import('@/utils/chat/stream-client');
    const { followTaskSource } = await import('@/utils/chat/task-source');
    const body = '{"error":{"message":"invalid token sk-secret"}}';
    expect(relayErrorFromHttp(401, new Headers(), body, 'sk-secret').message).toBe(
      'The relay refused the API key (HTTP 401): invalid token ***',
    );
    expect(durationText(180_000)).toBe('3 min');

    setMessages('zh-CN', zh, en);
    expect(relayErrorFromHttp(401, new Headers(), body, 'sk-secret').message).toBe('中转站拒绝了 API 密钥（HTTP 401）：invalid token ***');
    expect(durationText(180_000)).toBe('3 分钟');
    expect(durationText(45_000)).toBe('45 秒');
    expect(await followTaskSource('javascript:alert(1)')).toEqual({ outcome: 'lost', reason: '任务来源链接不是 http(s) 链接' });
  });
});
