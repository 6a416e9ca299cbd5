import { Icon, PANEL } from '@/components/icons';
import { useThreads } from '@/components/use-threads';
import { isActive, statusLabel, type Thread } from '@/utils/threads/model';
import { t } from '@/utils/i18n';

const RECENT = 5;

export interface RecentProps {
  /** The thread the popup just started, marked as new. */
  started: string | undefined;
  onOpen: (threadId: string) => void;
}

/** The newest few threads, live, each opening in the side panel. */
export function RecentThreads({ started, onOpen }: RecentProps) {
  const { loading, threads } = useThreads(RECENT);
  return (
    <>
      {!loading && threads.length === 0 && <p class="muted small">{t('popupEmpty')}</p>}
      <ul>
        {threads.map((t) => (
          <Recent key={t.id} thread={t} isNew={t.id === started} onOpen={() => onOpen(t.id)} />
        ))}
      </ul>
    </>
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
