import { useEffect, useRef, useState } from 'preact/hooks';
import type { FunctionComponent } from 'preact';
import { Composer, openOptions } from '@/components/Composer';
import { browser } from 'wxt/browser';
import { openSidePanel } from '@/utils/side-panel';
import { Icon, Logo, PANEL, SETTINGS } from '@/components/icons';
import { t } from '@/utils/i18n';
import { mount } from '@/components/mount';
import type { RecentProps } from './recent';
import './popup.css';

function Popup() {
  const [started, setStarted] = useState<string>();
  // The recent list (storage reading and checking) loads after the prompt box is up: the box is
  // what the popup opens for, and it is ready to type in and send without that code.
  const [Recent, setRecent] = useState<FunctionComponent<RecentProps>>();
  const windowId = useRef<number | undefined>(undefined);

  useEffect(() => {
    void browser.windows.getCurrent().then((w) => (windowId.current = w.id));
    void import('./recent').then((m) => setRecent(() => m.RecentThreads));
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
        {Recent && <Recent started={started} onOpen={open} />}
      </section>
    </main>
  );
}

void mount(Popup);
