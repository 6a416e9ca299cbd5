import { useEffect, useRef, useState } from 'preact/hooks';
import { Composer, openOptions } from '@/components/Composer';
import { browser } from 'wxt/browser';
import { openSidePanel } from '@/utils/side-panel';
import { Icon, Logo, PANEL, SETTINGS } from '@/components/icons';
import { useThreads } from '@/components/use-threads';
import { isActive, statusLabel, type Thread } from '@/utils/threads/model';
import { t } from '@/utils/i18n';
import { mount } from '@/components/mount';
import '@/components/ui.css';
import './popup.css';

const RECENT = 5;

function Popup() {
  const { loading, threads } = useThreads(RECENT);
  const [started, setStarted] = useState<string>();
  const windowId = useRef<number | undefined>(undefined);

  useEffect(() => {
    void browser.windows.getCurrent().then((w) => (windowId.current = w.id));
  }, []);

  // Synchronous in the click: the side panel only opens on a user gesture.
  const open = (threadId?: string) => void openSidePanel(windowId.current, threadId, { fallbackTab: true }).then(() => window.close());

  return (
    <main class="popup">
      <header class="top">
        <Logo />
        <span class="top__title">Sora Threads</span>
        <span class="spacer" />
        <button type="button" class="btn sm ghost" onClick={() => open(started)}>
          <Icon d={PANEL} />
          {t('openSidePanel')}
        </button>
        <button type="button" class="icon-btn" aria-label={t('options')} title={t('options')} onClick={openOptions}>
          <Icon d={SETTINGS} />
        </button>
      </header>
      <Composer origin="popup" autoFocus onStarted={setStarted} />
      <p class="started muted" role="status">
        {started ? t('startedNote') : ''}
      </p>
      <section class="recent" aria-labelledby="recent-title">
        <h2 id="recent-title" class="section-title">
          {t('recent')}
        </h2>
        {!loading && threads.length === 0 && <p class="muted small">{t('popupEmpty')}</p>}
        <ul>
          {threads.map((t) => (
            <Recent key={t.id} thread={t} isNew={t.id === started} onOpen={() => open(t.id)} />
          ))}
        </ul>
      </section>
    </main>
  );
}

function Recent({ thread, isNew, onOpen }: { thread: Thread; isNew: boolean; onOpen: () => void }) {
  const last = thread.turns[thread.turns.length - 1];
  // Every thread has a turn; a damaged stored one is left out rather than breaking the list.
  if (!last) return null;
  const progress = Math.round(last.progress ?? 0);
  const running = isActive(last.status);
  const detail =
    last.status === 'generating'
      ? ` · ${progress}%`
      : last.error && (last.status === 'failed' || last.status === 'interrupted')
        ? ` · ${last.error.message}`
        : '';
  return (
    <li>
      <button type="button" class={`job${isNew ? ' job--new' : ''}`} onClick={onOpen} title={t('showInPanel')}>
        <span class={`dot dot--${last.status}`} aria-hidden="true" />
        <span class="job__main">
          <span class="job__title">{thread.title}</span>
          <span class={`job__state state--${last.status}`}>
            {statusLabel(last.status)}
            {detail}
            {thread.turns.length > 1 ? ` · ${t('versionLower', { n: thread.turns.length })}` : ''}
          </span>
          {running && (
            <span class="bar" aria-hidden="true">
              <span style={{ width: `${last.status === 'generating' ? progress : 0}%` }} />
            </span>
          )}
        </span>
        <Icon d={PANEL} />
      </button>
    </li>
  );
}

void mount(Popup);
