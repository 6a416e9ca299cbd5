import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { send } from '@/utils/messages';
import type { ConnectionResult } from '@/utils/relay-models';
import {
  DEFAULT_MODELS,
  isLocalOrigin,
  loadSettings,
  normalizeSettings,
  originPattern,
  settingsItem,
  validateSettings,
  type FieldErrors,
  type Settings,
} from '@/utils/settings';
import '@/components/ui.css';
import './options.css';

function Field(props: { id: string; label: string; error?: string; hint?: string; children: preact.ComponentChildren }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && <p class="muted hint" id={`${props.id}-hint`}>{props.hint}</p>}
      {props.error && <p class="error" id={`${props.id}-error`} role="alert">{props.error}</p>}
    </div>
  );
}

function Options() {
  const [s, setS] = useState<Settings | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [showKey, setShowKey] = useState(false);
  const [testing, setTesting] = useState(false);

  useEffect(() => void loadSettings().then(setS), []);
  if (!s) return <main class="page options" aria-busy="true" />;

  const set = <K extends keyof Settings>(k: K, v: Settings[K]) => {
    setS({ ...s, [k]: v });
    setStatus(null);
  };

  const save = (e: Event) => {
    e.preventDefault();
    const next = normalizeSettings(s);
    const errs = validateSettings(next);
    setErrors(errs);
    if (Object.keys(errs).length) {
      setStatus({ ok: false, text: 'Nothing was saved: fix the fields marked above.' });
      return;
    }
    // The permission prompt must be requested synchronously inside the click.
    const granted = isLocalOrigin(next.baseUrl)
      ? Promise.resolve(true)
      : browser.permissions.request({ origins: [originPattern(next.baseUrl)] });
    void granted
      .then(async (ok) => {
        if (!ok) {
          setStatus({
            ok: false,
            text: `Not saved: Sora Threads needs permission to talk to ${new URL(next.baseUrl).host} to send your prompts there. Save again and choose Allow.`,
          });
          return;
        }
        await settingsItem.setValue(next);
        setS(next);
        setStatus({ ok: true, text: 'Saved.' });
      })
      .catch((err: Error) => setStatus({ ok: false, text: `Not saved: ${err.message}` }));
  };

  const test = async () => {
    const next = normalizeSettings(s);
    const errs = validateSettings(next);
    setErrors(errs);
    if (errs.baseUrl) return;
    setTesting(true);
    setStatus(null);
    try {
      const r: ConnectionResult = await send('testConnection', { baseUrl: next.baseUrl, apiKey: next.apiKey });
      if (r.ok) {
        const models = r.models.length ? r.models : [...DEFAULT_MODELS];
        setS({ ...s, models });
        setStatus({ ok: true, text: `Connection OK. ${r.models.length} model(s) found: ${r.models.slice(0, 8).join(', ') || 'none listed'}.` });
      } else {
        setStatus({ ok: false, text: `Connection failed: ${r.message}` });
      }
    } catch (err) {
      setStatus({ ok: false, text: `Connection failed: ${(err as Error).message}` });
    } finally {
      setTesting(false);
    }
  };

  const models = [...new Set([...s.models, ...DEFAULT_MODELS])];
  return (
    <main class="page options">
      <h1>Sora Threads — Options</h1>
      <form onSubmit={save} noValidate>
        <Field id="baseUrl" label="API base URL" error={errors.baseUrl} hint="Your OpenAI-compatible relay, e.g. https://relay.example.com (with or without /v1).">
          <input
            id="baseUrl"
            type="url"
            inputMode="url"
            autocomplete="off"
            spellcheck={false}
            placeholder="https://relay.example.com"
            value={s.baseUrl}
            aria-invalid={!!errors.baseUrl}
            onInput={(e) => set('baseUrl', e.currentTarget.value)}
          />
        </Field>
        <Field id="apiKey" label="API key" error={errors.apiKey} hint="Stored only in this browser and sent only to the API base URL above.">
          <div class="key-row">
            <input
              id="apiKey"
              // Preact's types want one literal per element; the element is the same either way.
              type={(showKey ? 'text' : 'password') as 'password'}
              autocomplete="off"
              spellcheck={false}
              placeholder="sk-…"
              value={s.apiKey}
              aria-invalid={!!errors.apiKey}
              onInput={(e) => set('apiKey', e.currentTarget.value)}
            />
            <button type="button" aria-pressed={showKey} onClick={() => setShowKey(!showKey)}>
              {showKey ? 'Hide' : 'Show'}
            </button>
          </div>
        </Field>
        <Field id="model" label="Model" error={errors.model} hint="Default model for new videos. Pick one or type any model your relay serves.">
          <input id="model" list="model-list" value={s.model} autocomplete="off" onInput={(e) => set('model', e.currentTarget.value)} />
          <datalist id="model-list">
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </Field>
        <div class="grid2">
          <Field id="concurrency" label="Videos at once" error={errors.concurrency}>
            <input
              id="concurrency"
              type="number"
              min={1}
              max={10}
              value={s.concurrency}
              onInput={(e) => set('concurrency', e.currentTarget.valueAsNumber)}
            />
          </Field>
          <Field id="stall" label="Stall timeout (minutes)" error={errors.stallTimeoutMin}>
            <input
              id="stall"
              type="number"
              min={1}
              max={60}
              value={s.stallTimeoutMin}
              onInput={(e) => set('stallTimeoutMin', e.currentTarget.valueAsNumber)}
            />
          </Field>
        </div>
        <label class="check">
          <input type="checkbox" checked={s.notifications} onChange={(e) => set('notifications', e.currentTarget.checked)} />
          Notify me when a video finishes or fails
        </label>
        <div class="row">
          <button type="submit" class="primary">Save</button>
          <button type="button" onClick={test} disabled={testing}>
            {testing ? 'Testing…' : 'Test connection'}
          </button>
        </div>
        <p class={status?.ok ? 'ok' : 'error'} role="status" aria-live="polite">
          {status?.text}
        </p>
      </form>
    </main>
  );
}

render(<Options />, document.getElementById('app')!);
