import { formatWhen } from '@/utils/format';
import { isActive, lastCompletedTurn, type Thread } from '@/utils/threads';
import { ModifyBox } from './ModifyBox';
import { TurnView } from './TurnView';

export function ThreadCard({ thread }: { thread: Thread }) {
  const headingId = `title-${thread.id}`;
  const busy = thread.turns.some((t) => isActive(t.status));
  const canModify = !busy && !!lastCompletedTurn(thread);
  return (
    <article class="thread" aria-labelledby={headingId}>
      <header class="thread__head">
        <h2 id={headingId} class="thread__title">{thread.title}</h2>
        <p class="muted thread__meta">
          {thread.model} · {formatWhen(thread.createdAt)}
        </p>
      </header>
      <ol class="turns">
        {thread.turns.map((turn, i) => (
          <TurnView key={turn.id} thread={thread} turn={turn} index={i} />
        ))}
      </ol>
      {canModify && <ModifyBox thread={thread} />}
    </article>
  );
}
