import { Component } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { formatWhen, plural } from '@/utils/format';
import type { IndexEntry } from '@/utils/threads/records';
import { isActive, lastCompletedTurn, type Thread } from '@/utils/threads/model';
import { send } from '@/utils/messages';
import { t } from '@/utils/i18n';
import { Icon } from './icons';

const PENCIL = 'M13 4l3 3-8.5 8.5H4.5v-3z';
const TRASH = 'M4 6h12M8 6V4h4v2M5.8 6l.9 10h6.6l.9-10';
import { ModifyBox } from './ModifyBox';
import { TurnView } from './TurnView';
import { usePlaceholder } from './use-placeholder';

export interface ThreadCardProps {
  thread: Thread;
  /** Place of its waiting turn in the local queue. */
  queuePos?: number;
  /** Briefly highlighted: it was just asked for (notification, popup, new branch). */
  flash?: boolean;
  /** Rendered in full even far from the viewport (see usePlaceholder). */
  keep?: boolean;
  onDelete: (thread: Thread) => void;
}

/**
 * One thread. Re-renders only when its own record (a new object on every store change), its
 * queue place or its highlight changes, so a progress tick repaints one card, not the list.
 */
export class ThreadCard extends Component<ThreadCardProps> {
  override shouldComponentUpdate(next: ThreadCardProps): boolean {
    const p = this.props;
    return next.thread !== p.thread || next.queuePos !== p.queuePos || next.flash !== p.flash || next.keep !== p.keep;
  }

  override render(props: ThreadCardProps) {
    return <Card {...props} />;
  }
}

function Card({ thread, queuePos, flash, keep = false, onDelete }: ThreadCardProps) {
  const [renaming, setRenaming] = useState(false);
  const ref = useRef<HTMLElement>(null);
  // Far from the viewport the card keeps only its heading, in the same <article> at the height it
  // last had: the scrollbar and the page do not move, the observer keeps watching the same node,
  // #thread-… stays a target for focus requests, and a screen reader's list of headings still
  // names every thread (an aria-hidden box would make the list seem shorter than it is). Moving
  // to a heading scrolls it into view, which renders the rest.
  const rest = usePlaceholder(ref, keep);
  const headingId = `title-${thread.id}`;
  const busy = thread.turns.some((t) => isActive(t.status));
  const latest = lastCompletedTurn(thread);
  if (rest !== undefined) {
    return (
      <article
        ref={ref}
        id={`thread-${thread.id}`}
        class="thread thread--far"
        style={{ height: `${rest}px` }}
        aria-labelledby={headingId}
        tabIndex={-1}
      >
        <header class="thread__head">
          <Titles thread={thread} headingId={headingId} />
        </header>
      </article>
    );
  }
  return (
    <article
      ref={ref}
      id={`thread-${thread.id}`}
      class={`thread${flash ? ' thread--flash' : ''}`}
      aria-labelledby={headingId}
      tabIndex={-1}
    >
      <header class="thread__head">
        <Titles thread={thread} headingId={headingId} />
        <div class="thread__tools">
          <button
            type="button"
            class="icon-btn"
            aria-label={t('renameThread')}
            title={t('rename')}
            aria-expanded={renaming}
            onClick={() => setRenaming(!renaming)}
          >
            <Icon d={PENCIL} />
          </button>
          <button type="button" class="icon-btn" aria-label={t('deleteThread')} title={t('delete')} onClick={() => onDelete(thread)}>
            <Icon d={TRASH} />
          </button>
        </div>
      </header>
      {renaming && <RenameForm thread={thread} done={() => setRenaming(false)} />}
      <ol class="turns">
        {thread.turns.map((turn, i) => (
          <TurnView
            key={turn.id}
            thread={thread}
            turn={turn}
            index={i}
            latestDone={turn === latest}
            queuePos={turn.status === 'pending' ? queuePos : undefined}
          />
        ))}
      </ol>
      {!busy && latest && <ModifyBox thread={thread} />}
    </article>
  );
}

function Titles({ thread, headingId }: { thread: Thread; headingId: string }) {
  return (
    <div class="thread__titles">
      <h2 id={headingId} class="thread__title">
        {thread.title}
      </h2>
      <p class="thread__meta muted">
        {thread.model} · {formatWhen(thread.createdAt)} · {plural(thread.turns.length, 'version')}
      </p>
    </div>
  );
}

function RenameForm({ thread, done }: { thread: Thread; done: () => void }) {
  const [title, setTitle] = useState(thread.title);
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!title.trim()) {
      setError(t('titleNeeded'));
      return;
    }
    try {
      if (title.trim() !== thread.title) await send('renameThread', { threadId: thread.id, title });
      done();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="rename" onSubmit={(e) => void submit(e)} onKeyDown={(e) => e.key === 'Escape' && done()}>
      <label for={`rename-${thread.id}`} class="sr-only">
        {t('threadTitle')}
      </label>
      <input id={`rename-${thread.id}`} value={title} maxLength={200} autofocus onInput={(e) => setTitle(e.currentTarget.value)} />
      <button type="submit" class="btn sm primary">
        {t('rename')}
      </button>
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** A thread whose record is still being read: its index entry, the same size roughly. */
export function ThreadStub({ entry }: { entry: IndexEntry }) {
  const headingId = `title-${entry.id}`;
  return (
    <article id={`thread-${entry.id}`} class="thread thread--stub" aria-labelledby={headingId} aria-busy="true" tabIndex={-1}>
      <header class="thread__head">
        <div class="thread__titles">
          <h2 id={headingId} class="thread__title">
            {entry.title}
          </h2>
          <p class="thread__meta muted">
            {entry.model} · {formatWhen(entry.createdAt)} · {plural(entry.turnCount, 'version')}
          </p>
        </div>
      </header>
      <div class="stub" />
    </article>
  );
}
