import { useEffect, useRef, useState } from 'preact/hooks';
import { DEFAULT_MODELS, LIMITS, readinessProblem, type Settings } from '@/utils/settings/settings-core';
import type { ThreadOrigin } from '@/utils/threads/model';
import { browser } from 'wxt/browser';
import { loadSettings as readSettings, watchSettings } from '@/utils/settings/settings';
import { send } from '@/utils/messages';
import { formatNumber, t } from '@/utils/i18n';
import { ReferenceImages, useAttachments } from './ReferenceImages';

// Node (the unit tests) has no navigator. The user agent names Apple systems as `platform` did, and is not deprecated.
const userAgent = (globalThis as { navigator?: Navigator }).navigator?.userAgent ?? '';
export const SUBMIT_KEYS = /Mac|iPhone|iPad/.test(userAgent) ? '⌘+Enter' : 'Ctrl+Enter';

/** Video jobs: the durations and sizes a relay takes (grok2api checks its own lists; others pass them on). */
export function jobChoices(s: Settings | null): { seconds: string[]; sizes: string[] } {
  if (s?.videosFlavour === 'grok2api')
    return { seconds: ['6', '10', '12', '16', '20'], sizes: ['720x1280', '1280x720', '1024x1024', '1024x1792', '1792x1024'] };
  return {
    seconds: ['4', '5', '6', '8', '10', '12', '15', '20'],
    sizes: ['720x1280', '1280x720', '1024x1024', '1024x1792', '1792x1024', '1920x1080', '1080x1920'],
  };
}

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
  const [seconds, setSeconds] = useState('');
  const [size, setSize] = useState('');
  const [error, setError] = useState<{ text: string; options?: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const touched = useRef(false);
  const refs = useAttachments();
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
    if (problem) {
      setError({ text: problem, options: true });
      return;
    }
    if (!prompt.trim()) {
      setError({ text: t('promptNeeded') });
      return;
    }
    if (refs.preparing) return;
    setBusy(true);
    setError(null);
    try {
      const jobs = settings.protocol === 'jobs' ? { ...(seconds && { seconds }), ...(size && { size }) } : {};
      // A video job's size is the image's too (the API refuses one that differs).
      const images = refs.items.length ? { images: await refs.dataUrls(jobs.size) } : {};
      const { threadId } = await send('generate', { prompt, model, origin, ...jobs, ...images });
      setPrompt('');
      refs.clear();
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
  const choices = jobChoices(settings);
  return (
    <form class="composer" onSubmit={(e) => void generate(e)} noValidate {...refs.formHandlers}>
      <label for={id} class="label">
        {t('prompt')}
      </label>
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
      <ReferenceImages id={`ref-${origin}`} state={refs} />
      {settings?.protocol === 'jobs' && (
        <div class="composer__bar composer__bar--job">
          <label for={`seconds-${origin}`} class="label label--inline">
            {t('duration')}
          </label>
          <select id={`seconds-${origin}`} value={seconds} onChange={(e) => setSeconds(e.currentTarget.value)}>
            <option value="">{t('relayDefault')}</option>
            {choices.seconds.map((n) => (
              <option key={n} value={n}>
                {t('seconds_n', { n })}
              </option>
            ))}
          </select>
          <label for={`size-${origin}`} class="label label--inline">
            {t('size')}
          </label>
          <select id={`size-${origin}`} value={size} onChange={(e) => setSize(e.currentTarget.value)}>
            <option value="">{t('relayDefault')}</option>
            {choices.sizes.map((v) => (
              <option key={v} value={v}>
                {v.replace('x', ' × ')}
              </option>
            ))}
          </select>
        </div>
      )}
      <div class="composer__bar">
        <label for={`model-${origin}`} class="label label--inline">
          {t('model')}
        </label>
        <select id={`model-${origin}`} value={model} onChange={(e) => setModel(e.currentTarget.value)}>
          {modelChoices(settings, model).map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <button type="submit" class="btn primary" disabled={busy || !settings || refs.preparing > 0} aria-busy={busy}>
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
