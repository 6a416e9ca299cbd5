import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Composer, openOptions } from '@/components/Composer';
import { loadSettings as readSettings, watchSettings } from '@/utils/settings/settings';
import { requestFocus, watchFocus } from '@/utils/side-panel';
import { send } from '@/utils/messages';
import { watchStorageProblem } from '@/utils/threads/store-read';
import { Icon, Logo, SETTINGS } from '@/components/icons';

const PLUS = 'M10 4.5v11M4.5 10h11';
const CLOSE = 'M5.5 5.5l9 9M14.5 5.5l-9 9';
const SEARCH = 'M9 15a6 6 0 1 0 0-12 6 6 0 0 0 0 12zM13.5 13.5L17 17';
import { ThreadCard, ThreadStub } from '@/components/ThreadCard';
import { useLibrary } from '@/components/use-library';
import { useVisible } from '@/components/use-visible';
import { plural } from '@/utils/format';
import { formatNumber, pluralKey, t } from '@/utils/i18n';
import { mount } from '@/components/mount';
import { readinessProblem } from '@/utils/settings/settings-core';
import type { Thread } from '@/utils/threads/model';
import '@/components/notice.css';
import '@/components/thread.css';
import './sidepanel.css';

/** Threads rendered at first, and added each time the end of the list comes into view. */
const PAGE = 15;
/** How long "Undo" stays offered after a delete. */
const UNDO_MS = 6000;

const hashThread = () => /(?:^#|&)thread=([^&]+)/.exec(location.hash)?.[1];

function SidePanel() {
  const lib = useLibrary();
  const [query, setQuery] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const [focus, setFocus] = useState<string | undefined>(() => {
    const h = hashThread();
    return h ? decodeURIComponent(h) : undefined;
  });
  const [flash, setFlash] = useState<string>();
  const [trash, setTrash] = useState<Thread>();
  const [notice, setNotice] = useState('');
  const [composing, setComposing] = useState(false);
  const [setupNeeded, setSetupNeeded] = useState(false);
  const [storageProblem, setStorageProblem] = useState<string>();

  const q = query.trim();
  const list = q ? lib.search(q) : lib.index;
  const shown = list.slice(0, limit);
  // Far cards become placeholders only in a list longer than the first page: a page of cards is
  // what every list starts with anyway, and a short one is then never remounted while scrolled.
  // The thread asked for stays whole, so the scroll to it lands on its real box.
  const few = shown.length <= PAGE;
  const queue = lib.queue();

  useEffect(() => {
    const check = () => void readSettings().then((s) => setSetupNeeded(!!readinessProblem(s)));
    check();
    return watchSettings(check);
  }, []);

  useEffect(() => watchStorageProblem(setStorageProblem), []);

  // Search covers every prompt: the records are read in batches the first time it is needed.
  useEffect(() => {
    if (q) void lib.scanAll();
  }, [q, lib.index]);

  useEffect(() => void lib.ensure(shown.map((e) => e.id)));

  // "Show this thread", from the URL (#thread=…) or from session storage (popup, notification).
  useEffect(() => {
    const fromHash = () => {
      const h = hashThread();
      if (h) setFocus(decodeURIComponent(h));
    };
    addEventListener('hashchange', fromHash);
    const stop = watchFocus(setFocus);
    return () => {
      removeEventListener('hashchange', fromHash);
      stop();
    };
  }, []);

  // Decided at render time: the effect below must act on what this render put on screen.
  const focusAt = focus ? list.findIndex((e) => e.id === focus) : -1;
  const focusLoaded = focusAt >= 0 && list.slice(0, focusAt + 1).every((e) => lib.records.has(e.id) || lib.skipped.has(e.id));
  useEffect(() => {
    if (!focus || !lib.ready || !lib.index.some((e) => e.id === focus)) return; // not written yet: wait
    // Hidden by the search: clear it.
    if (focusAt < 0) {
      setQuery('');
      return;
    }
    if (focusAt >= limit) {
      setLimit(focusAt + PAGE);
      return;
    }
    // Wait for the cards down to it: a placeholder growing into its card would push it away.
    if (!focusLoaded) return;
    const el = document.getElementById(`thread-${focus}`);
    if (!el) return;
    // Instant, so the browser's scroll anchoring keeps it in place if a player above resizes.
    el.scrollIntoView({ block: 'start' });
    el.focus({ preventScroll: true });
    setFlash(focus);
    setFocus(undefined);
  });

  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => setFlash(undefined), 2400);
    return () => clearTimeout(t);
  }, [flash]);

  useEffect(() => {
    if (!trash) return;
    const t = setTimeout(() => setTrash(undefined), UNDO_MS);
    return () => clearTimeout(t);
  }, [trash]);

  const remove = useCallback((thread: Thread) => {
    setNotice('');
    send('deleteThread', { threadId: thread.id }).then(
      () => setTrash(thread),
      (e: unknown) => setNotice(t('deleteFailed', { error: (e as Error).message })),
    );
  }, []);

  const undo = () => {
    const thread = trash;
    if (!thread) return;
    setTrash(undefined);
    send('restoreThread', { thread }).then(
      () => setFocus(thread.id),
      (e: unknown) => setNotice(t('restoreFailed', { error: (e as Error).message })),
    );
  };

  const more = () => setLimit((l) => l + PAGE);
  const empty = lib.ready && lib.index.length === 0;

  return (
    <>
      <header class="bar">
        <div class="bar__row">
          <Logo />
          <h1 class="bar__title">Sora Threads</h1>
          {lib.ready && !empty && <span class="count muted">{plural(lib.index.length, 'thread')}</span>}
          <span class="spacer" />
          {!empty && (
            <button
              type="button"
              class={`btn sm${composing ? '' : ' primary'}`}
              aria-expanded={composing}
              onClick={() => setComposing(!composing)}
            >
              <Icon d={composing ? CLOSE : PLUS} />
              {t('newVideo')}
            </button>
          )}
          <button type="button" class="icon-btn" aria-label={t('options')} title={t('options')} onClick={openOptions}>
            <Icon d={SETTINGS} />
          </button>
        </div>
        {!empty && (
          <div class="search">
            <Icon d={SEARCH} />
            <input
              type="search"
              aria-label={t('searchPrompts')}
              placeholder={t('searchPrompts')}
              value={query}
              onInput={(e) => {
                setQuery(e.currentTarget.value);
                setLimit(PAGE);
              }}
            />
          </div>
        )}
      </header>
      <main class="page">
        {composing && !empty && (
          <section class="card compose" aria-label={t('newVideo')}>
            <Composer
              origin="sidepanel"
              autoFocus
              onStarted={(id) => {
                setComposing(false);
                setQuery('');
                void requestFocus(id).catch(() => {});
              }}
            />
          </section>
        )}
        {lib.skipped.size > 0 && (
          <p class="notice notice--error" role="alert">
            {t(pluralKey('unreadable', lib.skipped.size), { n: formatNumber(lib.skipped.size) })}
          </p>
        )}
        {storageProblem && (
          <p class="notice notice--error" role="alert">
            {storageProblem}
          </p>
        )}
        {notice && (
          <p class="notice notice--error" role="alert">
            {notice}
          </p>
        )}
        {empty && <Empty setupNeeded={setupNeeded} />}
        {q && (
          <p class="search-info muted" aria-live="polite">
            {list.length ? t('searchMatch', { threads: plural(list.length, 'thread') }) : t('searchNone', { q })}
            {lib.scanned ? '' : ` · ${t('searchingAll', { threads: plural(lib.index.length, 'thread') })}`}
          </p>
        )}
        <div class="threads">
          {shown.map((e) => {
            const t = lib.records.get(e.id);
            if (!t) return <ThreadStub key={e.id} entry={e} />;
            const pending = t.turns[t.turns.length - 1];
            return (
              <ThreadCard
                key={e.id}
                thread={t}
                queuePos={pending?.status === 'pending' ? queue.get(pending.id) : undefined}
                flash={flash === e.id}
                keep={few || focus === e.id || flash === e.id}
                onDelete={remove}
              />
            );
          })}
        </div>
        {list.length > shown.length && <More left={list.length - shown.length} onMore={more} />}
      </main>
      <div class="toast-region" role="status" aria-live="polite">
        {trash && (
          <div class="toast">
            <span class="toast__text">{t('deletedToast', { title: trash.title })}</span>
            <button type="button" class="btn sm" onClick={undo}>
              {t('undo')}
            </button>
          </div>
        )}
      </div>
    </>
  );
}

/** "Show more", pressed by itself when it scrolls into view. */
function More({ left, onMore }: { left: number; onMore: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  const near = useVisible(ref, '800px');
  useEffect(() => {
    if (near) onMore();
  }, [near, left]);
  return (
    <button type="button" class="btn more" ref={ref} onClick={onMore}>
      {t('showMore', { n: formatNumber(left) })}
    </button>
  );
}

function Empty({ setupNeeded }: { setupNeeded: boolean }) {
  return (
    <section class="empty" aria-labelledby="empty-title">
      <div class="empty__art" aria-hidden="true">
        <span />
        <span />
        <span />
      </div>
      <h2 id="empty-title">{t('emptyTitle')}</h2>
      <p class="muted">{t('emptyLead')}</p>
      <ol class="steps">
        <li class={setupNeeded ? '' : 'done'}>
          <strong>{t('step1Title')}</strong> {setupNeeded ? t('step1Todo') : t('step1Done')}{' '}
          {setupNeeded && (
            <button type="button" class="linklike" onClick={openOptions}>
              {t('setUpRelay')}
            </button>
          )}
        </li>
        <li>
          <strong>{t('step2Title')}</strong>
          {t('step2Text', { menu: t('menuFromSelection') })}
        </li>
        <li>
          <strong>{t('step3Title')}</strong>
          {t('step3Text')}
        </li>
      </ol>
      <div class="card compose">
        <Composer origin="sidepanel" onStarted={(id) => void requestFocus(id).catch(() => {})} />
      </div>
    </section>
  );
}

// The list is live and focus requests scroll it; a restored scroll position would fight them.
history.scrollRestoration = 'manual';
void mount(SidePanel);
