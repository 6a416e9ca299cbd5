import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { loadSettings as readSettings, saveSettings as writeSettings } from '@/utils/settings/settings';
import { send } from '@/utils/messages';
import { HistoryBackup } from '@/components/HistoryBackup';
import { Logo } from '@/components/icons';
import { describeConnection } from '@/utils/relay/connection-text';
import { initI18n, t, type LangPref } from '@/utils/i18n';
import { mount, showLang } from '@/components/mount';
import {
  baseUrlProblem,
  DEFAULT_MODELS,
  isLocalOrigin,
  LIMITS,
  normalizeSettings,
  originPattern,
  sendsKeyInClear,
  validateSettings,
  type FieldErrors,
  type Settings,
} from '@/utils/settings/settings-core';
import '@/components/notice.css';
import './options.css';

function Field(props: { id: string; label: string; error?: string; hint?: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class={`field${props.error ? ' field--invalid' : ''}`}>
      <label for={props.id} class="label">
        {props.label}
      </label>
      {props.children}
      {props.error ? (
        <p class="error small" id={`${props.id}-error`} role="alert">
          {props.error}
        </p>
      ) : (
        props.hint && (
          <p class="muted small" id={`${props.id}-hint`}>
            {props.hint}
          </p>
        )
      )}
    </div>
  );
}

/** aria-describedby for a field: its error when it has one, else its hint. */
const described = (id: string, error?: string) => (error ? `${id}-error` : `${id}-hint`);

/** A whole-number setting with its allowed range (an empty box reads as NaN and fails validation). */
function LimitField(p: {
  id: string;
  label: string;
  hint: string;
  limits: { min: number; max: number };
  value: number;
  error?: string;
  onInput: (value: number) => void;
}) {
  return (
    <Field id={p.id} label={p.label} error={p.error} hint={p.hint}>
      <input
        id={p.id}
        type="number"
        min={p.limits.min}
        max={p.limits.max}
        value={Number.isNaN(p.value) ? '' : p.value}
        aria-invalid={!!p.error}
        aria-describedby={described(p.id, p.error)}
        onInput={(e) => p.onInput(e.currentTarget.valueAsNumber)}
      />
    </Field>
  );
}

type Tested = { ok: boolean; title: string; detail?: string; models?: string[] };

function Options() {
  const [s, setS] = useState<Settings | null>(null);
  const saved = useRef<Settings | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [tested, setTested] = useState<Tested | null>(null);
  const [showKey, setShowKey] = useState(false);
  const [testing, setTesting] = useState(false);
  /** The form as it is now, for answers that arrive after the user typed on. */
  const current = useRef<Settings | null>(null);
  current.current = s;

  useEffect(
    () =>
      void readSettings().then((v) => {
        saved.current = v;
        setS(v);
      }),
    [],
  );
  if (!s) return <main class="options" aria-busy="true" />;

  const set = <K extends keyof Settings>(k: K, v: Settings[K]) => {
    setS({ ...s, [k]: v });
    setStatus(null);
    if (k === 'baseUrl' || k === 'apiKey') setTested(null);
  };

  const save = (e: Event) => {
    e.preventDefault();
    const next = normalizeSettings(s);
    const errs = validateSettings(next);
    setErrors(errs);
    if (Object.keys(errs).length) {
      setStatus({ ok: false, text: t('nothingSaved') });
      return;
    }
    // The permission prompt must be requested synchronously inside the click.
    const granted = isLocalOrigin(next.baseUrl)
      ? Promise.resolve(true)
      : browser.permissions.request({ origins: [originPattern(next.baseUrl)] });
    void granted
      .then(async (ok) => {
        if (!ok) {
          setStatus({ ok: false, text: t('permissionDenied', { host: new URL(next.baseUrl).host }) });
          return;
        }
        // A new language applies to this page at once (every other page follows the setting).
        if (next.language !== saved.current?.language) {
          await initI18n(next.language);
          showLang(title);
        }
        await writeSettings(next);
        saved.current = next;
        setS(next);
        setStatus({ ok: true, text: t('saved') });
      })
      .catch((err: unknown) => setStatus({ ok: false, text: t('notSaved', { error: (err as Error).message }) }));
  };

  const test = async () => {
    const next = normalizeSettings(s);
    const errs = validateSettings(next);
    setErrors(errs);
    setStatus(null);
    if (errs.baseUrl) {
      setTested({ ok: false, title: t('urlFirst') });
      return;
    }
    // Like Save: the key goes to a host only with its permission, asked for inside the click.
    const granted = isLocalOrigin(next.baseUrl)
      ? Promise.resolve(true)
      : browser.permissions.request({ origins: [originPattern(next.baseUrl)] });
    setTesting(true);
    setTested(null);
    try {
      if (!(await granted)) {
        setTested({ ok: false, title: t('testPermissionDenied', { host: new URL(next.baseUrl).host }) });
        return;
      }
      const r = await send('testConnection', { baseUrl: next.baseUrl, apiKey: next.apiKey, plainHttpOrigin: next.plainHttpOrigin });
      // Typed on meanwhile: the answer is about a relay or key no longer in the form.
      const now = current.current && normalizeSettings(current.current);
      if (!now || now.baseUrl !== next.baseUrl || now.apiKey !== next.apiKey) return;
      const text = describeConnection(r, next.protocol);
      if (r.ok) {
        const models = r.models.length ? r.models : [...DEFAULT_MODELS];
        const videosFlavour = r.videos ?? '';
        // Onto the form as it is now: edits made while the test ran are kept.
        setS((cur) => cur && { ...cur, models, videosFlavour });
        // The relay's list reaches the popup at once when these are the settings in use.
        const cur = saved.current;
        if (cur && cur.baseUrl === next.baseUrl && cur.apiKey === next.apiKey) {
          saved.current = { ...cur, models, videosFlavour };
          await writeSettings(saved.current);
        }
        setTested({ ...text, models: r.models });
      } else setTested(text);
    } catch (err) {
      setTested({ ok: false, title: t('conn_failed'), detail: (err as Error).message });
    } finally {
      setTesting(false);
    }
  };

  const models = [...new Set([...s.models, ...DEFAULT_MODELS])];
  const clear = !baseUrlProblem(s.baseUrl) && sendsKeyInClear(s.baseUrl) ? new URL(s.baseUrl.trim()) : undefined;
  const dirty = !!saved.current && JSON.stringify(normalizeSettings(s)) !== JSON.stringify(saved.current);
  return (
    <main class="options">
      <header class="top">
        <Logo />
        <h1>
          Sora Threads <span class="muted">{t('options')}</span>
        </h1>
      </header>
      <form onSubmit={save} noValidate>
        <section class="card" aria-labelledby="relay-title">
          <h2 id="relay-title">{t('relay')}</h2>
          <p class="muted small lead">{t('relayLead')}</p>
          <Field id="baseUrl" label={t('apiBaseUrl')} error={errors.baseUrl} hint={t('apiBaseUrlHint')}>
            <input
              id="baseUrl"
              type="url"
              inputMode="url"
              autocomplete="off"
              spellcheck={false}
              placeholder="https://relay.example.com"
              value={s.baseUrl}
              aria-invalid={!!errors.baseUrl}
              aria-describedby={described('baseUrl', errors.baseUrl)}
              onInput={(e) => set('baseUrl', e.currentTarget.value)}
            />
          </Field>
          {clear && (
            // Asked, never assumed: plain http to another machine shows the key to the network.
            <div class="field">
              <label class="check">
                <input
                  type="checkbox"
                  checked={s.plainHttpOrigin === clear.origin}
                  aria-describedby="plainHttp-hint"
                  onChange={(e) => {
                    set('plainHttpOrigin', e.currentTarget.checked ? clear.origin : '');
                    setErrors({ ...errors, baseUrl: undefined });
                  }}
                />
                {t('plainHttpAccept', { host: clear.host })}
              </label>
              <p class="muted small" id="plainHttp-hint">
                {t('plainHttpAcceptHint')}
              </p>
            </div>
          )}
          <Field id="protocol" label={t('protocol')} hint={t('protocolHint')}>
            <select
              id="protocol"
              value={s.protocol}
              aria-describedby={described('protocol')}
              onChange={(e) => set('protocol', e.currentTarget.value === 'jobs' ? 'jobs' : 'chat')}
            >
              <option value="chat">{t('protocolChat')}</option>
              <option value="jobs">{t('protocolJobs')}</option>
            </select>
          </Field>
          <Field id="apiKey" label={t('apiKey')} error={errors.apiKey} hint={t('apiKeyHint')}>
            <div class="key-row">
              <input
                id="apiKey"
                // Preact's types want one literal per element; the element is the same either way.
                // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it (the lint rule cannot see Preact's overloads)
                type={(showKey ? 'text' : 'password') as 'password'}
                autocomplete="off"
                spellcheck={false}
                placeholder="sk-…"
                value={s.apiKey}
                aria-invalid={!!errors.apiKey}
                aria-describedby={described('apiKey', errors.apiKey)}
                onInput={(e) => set('apiKey', e.currentTarget.value)}
              />
              <button type="button" class="btn" aria-pressed={showKey} aria-controls="apiKey" onClick={() => setShowKey(!showKey)}>
                {showKey ? t('hide') : t('show')}
              </button>
            </div>
          </Field>
          <Field id="model" label={t('model')} error={errors.model} hint={t('modelHint')}>
            <input
              id="model"
              list="model-list"
              value={s.model}
              autocomplete="off"
              spellcheck={false}
              aria-invalid={!!errors.model}
              aria-describedby={described('model', errors.model)}
              onInput={(e) => set('model', e.currentTarget.value)}
            />
            <datalist id="model-list">
              {models.map((m) => (
                <option key={m} value={m} />
              ))}
            </datalist>
          </Field>
          <div class="row">
            <button type="button" class="btn" onClick={() => void test()} disabled={testing} aria-describedby="test-result">
              {testing ? t('testing') : t('testConnection')}
            </button>
            <span class="muted small">{t('testHint')}</span>
          </div>
          <div id="test-result" aria-live="polite">
            {tested && (
              <div class={`notice notice--${tested.ok ? 'ok' : 'error'}`}>
                <strong>{tested.title}</strong>
                {tested.detail && <p class="server-text">{tested.detail}</p>}
                {!!tested.models?.length && (
                  <div class="chips" role="group" aria-label={t('relayModels')}>
                    {tested.models.slice(0, 24).map((m) => (
                      <button
                        type="button"
                        key={m}
                        class="chip"
                        aria-pressed={s.model === m}
                        title={t('useModel', { model: m })}
                        onClick={() => set('model', m)}
                      >
                        {m}
                      </button>
                    ))}
                  </div>
                )}
              </div>
            )}
          </div>
        </section>

        <section class="card" aria-labelledby="gen-title">
          <h2 id="gen-title">{t('generation')}</h2>
          <div class="grid2">
            <LimitField
              id="concurrency"
              label={t('concurrency')}
              hint={t('concurrencyHint', LIMITS.concurrency)}
              limits={LIMITS.concurrency}
              value={s.concurrency}
              error={errors.concurrency}
              onInput={(v) => set('concurrency', v)}
            />
            <LimitField
              id="stall"
              label={t('stall')}
              hint={t('stallHint')}
              limits={LIMITS.stallTimeoutMin}
              value={s.stallTimeoutMin}
              error={errors.stallTimeoutMin}
              onInput={(v) => set('stallTimeoutMin', v)}
            />
          </div>
          <label class="check">
            <input type="checkbox" checked={s.notifications} onChange={(e) => set('notifications', e.currentTarget.checked)} />
            {t('notifyLabel')}
          </label>
        </section>

        <section class="card" aria-labelledby="language-title">
          <h2 id="language-title">{t('language')}</h2>
          <p class="muted small lead" id="language-hint">
            {t('languageHint')}
          </p>
          {/* Saved with the rest; each language's name is in that language. */}
          <select
            id="language"
            value={s.language}
            aria-labelledby="language-title"
            aria-describedby="language-hint"
            onChange={(e) => set('language', e.currentTarget.value as LangPref)}
          >
            <option value="auto">{t('languageAuto')}</option>
            <option value="en" lang="en">
              {t('languageEn')}
            </option>
            <option value="zh-CN" lang="zh-CN">
              {t('languageZh')}
            </option>
          </select>
        </section>

        <div class="savebar">
          <button type="submit" class="btn primary">
            {t('save')}
          </button>
          <p class={`save-status ${status?.ok ? 'ok' : 'error'}`} role="status">
            {status?.text}
          </p>
          {dirty && !status && <span class="muted small">{t('unsaved')}</span>}
        </div>
      </form>
      <HistoryBackup />
    </main>
  );
}

const title = () => `Sora Threads — ${t('options')}`;

void mount(Options, title);
