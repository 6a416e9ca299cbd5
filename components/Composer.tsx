import { useEffect, useRef, useState } from 'preact/hooks';
import { DEFAULT_MODELS, LIMITS, readinessProblem, type Settings } from '@/utils/settings/settings-core';
import type { ThreadOrigin } from '@/utils/threads/model';
import { browser } from 'wxt/browser';
import { loadSettings as readSettings, watchSettings } from '@/utils/settings/settings';
import { send } from '@/utils/messages';
import { formatNumber, t } from '@/utils/i18n';

export const SUBMIT_KEYS = /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? '') ? '⌘+Enter' : 'Ctrl+Enter';

/** The models to offer: the relay's list, the defaults, and whatever is configured. */
export function modelChoices(s: Settings | null, current: string): string[] {
  return [...new Set([...(s?.models ?? []), ...DEFAULT_MODELS, ...(s?.model ? [s.model] : []), ...(current ? [current] : [])])];
}

export function openOptions(): void {
  void browser.runtime.openOptionsPage();
}

/**
 * Prompt box, model select and Generate. The draft survives the popup closing (it lives in
 * session storage until sent); Ctrl/Cmd+Enter submits.
 */
export function Composer(props: { origin: ThreadOrigin; onStarted?: (threadId: string) => void; autoFocus?: boolean }) {
  const { origin } = props;
  const [settings, setSettings] = useState<Settings | null>(null);
  const [prompt, setPrompt] = useState('');
  const [model, setModel] = useState('');
  const [error, setError] = useState<{ text: string; options?: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const touched = useRef(false);
  const draftKey = `draft:${origin}`;
  const session = browser.storage.session;

  useEffect(() => {
    let first = true;
    const load = () =>
      readSettings().then((s) => {
        setSettings(s);
        if (first) setModel(s.model);
        first = false;
      });
    void load();
    void session.get(draftKey).then(
      (got) => {
        const d = got[draftKey];
        if (typeof d === 'string' && !touched.current) setPrompt(d);
      },
      () => {},
    );
    return watchSettings(() => void load());
  }, []);

  const edit = (text: string) => {
    touched.current = true;
    setPrompt(text);
    setError(null);
    void session.set({ [draftKey]: text }).catch(() => {});
  };

  const generate = async (e?: Event) => {
    e?.preventDefault();
    if (!settings || busy) return;
    const problem = readinessProblem(settings);
    if (problem) return setError({ text: problem, options: true });
    if (!prompt.trim()) return setError({ text: t('promptNeeded') });
    setBusy(true);
    setError(null);
    try {
      const { threadId } = await send('generate', { prompt, model, origin });
      setPrompt('');
      void session.remove(draftKey).catch(() => {});
      props.onStarted?.(threadId);
    } catch (err) {
      setError({ text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const id = `prompt-${origin}`;
  const left = LIMITS.promptMax - prompt.length;
  return (
    <form class="composer" onSubmit={generate} noValidate>
      <label for={id} class="label">{t('prompt')}</label>
      <textarea
        id={id}
        rows={4}
        maxLength={LIMITS.promptMax}
        placeholder={t('promptPlaceholder')}
        value={prompt}
        autofocus={props.autoFocus}
        aria-describedby={`${id}-hint`}
        onInput={(e) => edit(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void generate(e);
        }}
      />
      <p class="composer__hint muted" id={`${id}-hint`}>
        {left < 400 ? `${t('charsLeft', { n: formatNumber(left) })} · ` : ''}
        {t('submitHint', { keys: SUBMIT_KEYS })}
      </p>
      <div class="composer__bar">
        <label for={`model-${origin}`} class="label label--inline">{t('model')}</label>
        <select id={`model-${origin}`} value={model} onChange={(e) => setModel(e.currentTarget.value)}>
          {modelChoices(settings, model).map((m) => (
            <option key={m} value={m}>{m}</option>
          ))}
        </select>
        <button type="submit" class="btn primary" disabled={busy || !settings} aria-busy={busy}>
          {t('generate')}
        </button>
      </div>
      {!error && settings && readinessProblem(settings) && (
        <p class="composer__setup muted small">
          {t('setupFirst')}{' '}
          <button type="button" class="linklike" onClick={openOptions}>
            {t('setUpRelay')}
          </button>
        </p>
      )}
      {error && (
        <p class="alert" role="alert">
          {error.text}{' '}
          {error.options && (
            <button type="button" class="linklike" onClick={openOptions}>
              {t('openOptions')}
            </button>
          )}
        </p>
      )}
    </form>
  );
}
