import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { useThreads } from '@/components/use-threads';
import { send } from '@/utils/messages';
import { DEFAULT_MODELS, LIMITS, loadSettings, readinessProblem, type Settings } from '@/utils/settings';
import { isActive, STATUS_LABEL } from '@/utils/threads';
import '@/components/ui.css';
import './popup.css';

type SidePanelApi = { open(opts: { windowId: number }): Promise<void> };

function Popup() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [prompt, setPrompt] = useState('');
  const [model, setModel] = useState('');
  const [error, setError] = useState<{ text: string; options?: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const windowId = useRef<number | undefined>(undefined);
  const { threads } = useThreads(4);

  useEffect(() => {
    void loadSettings().then((s) => {
      setSettings(s);
      setModel(s.model);
    });
    void browser.windows.getCurrent().then((w) => (windowId.current = w.id));
  }, []);

  const generate = async (e?: Event) => {
    e?.preventDefault();
    if (!settings || busy) return;
    const problem = readinessProblem(settings);
    if (problem) return setError({ text: problem, options: true });
    if (!prompt.trim()) return setError({ text: 'Write a prompt first: describe the video you want.' });
    setBusy(true);
    setError(null);
    try {
      await send('generate', { prompt, model, origin: 'popup' });
      setPrompt('');
    } catch (err) {
      setError({ text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  // Must run synchronously in the click: the side panel only opens on a user gesture.
  const openPanel = () => {
    const sp = (browser as unknown as { sidePanel?: SidePanelApi }).sidePanel;
    if (sp && windowId.current !== undefined) void sp.open({ windowId: windowId.current }).then(() => window.close());
    else void browser.tabs.create({ url: browser.runtime.getURL('/sidepanel.html') });
  };

  const models = [...new Set([...(settings?.models ?? []), ...DEFAULT_MODELS, ...(model ? [model] : [])])];
  return (
    <main class="popup">
      <form onSubmit={generate} noValidate>
        <label for="prompt">Prompt</label>
        <textarea
          id="prompt"
          rows={4}
          maxLength={LIMITS.promptMax}
          placeholder="A corgi surfing a giant wave at sunset, cinematic"
          value={prompt}
          autofocus
          onInput={(e) => setPrompt(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void generate(e);
          }}
        />
        <div class="popup__controls">
          <div>
            <label for="model">Model</label>
            <select id="model" value={model} onChange={(e) => setModel(e.currentTarget.value)}>
              {models.map((m) => (
                <option key={m} value={m}>{m}</option>
              ))}
            </select>
          </div>
          <button type="submit" class="primary" disabled={busy || !settings}>
            Generate
          </button>
        </div>
        {error && (
          <p class="error" role="alert">
            {error.text}{' '}
            {error.options && (
              <button type="button" class="linklike" onClick={() => void browser.runtime.openOptionsPage()}>
                Open Options
              </button>
            )}
          </p>
        )}
      </form>
      {threads.length > 0 && (
        <section aria-label="Recent videos" class="recent">
          <ul>
            {threads.map((t) => {
              const last = t.turns[t.turns.length - 1];
              return (
                <li key={t.id}>
                  <span class="recent__title">{t.title}</span>
                  <span class="muted">
                    {last ? STATUS_LABEL[last.status] : ''}
                    {last && isActive(last.status) && last.progress ? ` ${Math.round(last.progress)}%` : ''}
                  </span>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      <div class="row">
        <button type="button" onClick={openPanel}>Open side panel</button>
      </div>
    </main>
  );
}

render(<Popup />, document.getElementById('app')!);
