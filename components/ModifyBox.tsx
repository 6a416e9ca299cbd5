import { useState } from 'preact/hooks';
import type { Thread, Turn } from '@/utils/threads/model';
import { send } from '@/utils/messages';
import { requestFocus } from '@/utils/side-panel';
import { t } from '@/utils/i18n';
import { ReferenceImages, useAttachments } from './ReferenceImages';

interface InstructionFormProps {
  id: string;
  label: string;
  hint?: string;
  placeholder: string;
  submitLabel: string;
  /** Said when the box is empty on submit. */
  emptyMessage: string;
  class?: string;
  autoFocus?: boolean;
  onEscape?: () => void;
  /**
   * Reference images may go with the instruction: prepared for this video size (a video job's),
   * with a note saying what sending images changes, when it does.
   */
  images?: { size?: string; note?: string };
  /** Sends the instruction (and its images, as data URLs); a rejection's message is shown under the box. */
  onSubmit: (text: string, images?: string[]) => Promise<void>;
}

/** A box for the next instruction to a video (Ctrl/Cmd+Enter sends), with its own error line. */
function InstructionForm(p: InstructionFormProps) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const refs = useAttachments();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) {
      setError(p.emptyMessage);
      return;
    }
    if (refs.preparing) return;
    setBusy(true);
    setError('');
    try {
      await p.onSubmit(text, refs.items.length ? await refs.dataUrls(p.images?.size) : undefined);
      setText('');
      refs.clear();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class={p.class ?? 'modify'}
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => p.onEscape && e.key === 'Escape' && p.onEscape()}
      noValidate
      {...(p.images && refs.formHandlers)}
    >
      <label for={p.id} class="label">
        {p.label}
      </label>
      {p.hint && (
        <p class="muted small" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      )}
      <div class="modify__row">
        <textarea
          id={p.id}
          rows={2}
          value={text}
          autofocus={p.autoFocus}
          aria-describedby={p.hint ? `${p.id}-hint` : undefined}
          placeholder={p.placeholder}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setError('');
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
          }}
        />
        <button type="submit" class="btn primary" disabled={busy || refs.preparing > 0}>
          {p.submitLabel}
        </button>
      </div>
      {p.images && <ReferenceImages id={`ref-${p.id}`} state={refs} />}
      {p.images?.note && refs.items.length > 0 && <p class="muted small">{p.images.note}</p>}
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** The next instruction for the latest video; the background sends the whole history with it. */
export function ModifyBox({ thread }: { thread: Thread }) {
  return (
    <InstructionForm
      id={`modify-${thread.id}`}
      class="modify modify--next"
      label={t('modifyLabel')}
      placeholder={t('modifyPlaceholder')}
      submitLabel={t('send')}
      emptyMessage={t('modifyNeeded')}
      // A video job is remixed from its words alone: with images it becomes a new video, of the thread's size.
      images={thread.protocol === 'jobs' ? { size: thread.turns[0]?.size, note: t('imagesNewVideo') } : {}}
      onSubmit={async (prompt, images) => {
        await send('modify', { threadId: thread.id, prompt, ...(images && { images }) });
      }}
    />
  );
}

/** "Modify from here": a new thread with the history up to this version, then the instruction. */
export function BranchForm({ thread, turn, n, close }: { thread: Thread; turn: Turn; n: number; close: () => void }) {
  return (
    <InstructionForm
      id={`branch-${turn.id}`}
      label={t('branchLabel', { n })}
      hint={t('branchHint')}
      placeholder={t('branchPlaceholder')}
      submitLabel={t('startNewThread')}
      emptyMessage={t('branchNeeded', { n })}
      autoFocus
      onEscape={close}
      onSubmit={async (prompt) => {
        const { threadId } = await send('branch', { threadId: thread.id, turnId: turn.id, prompt });
        close();
        void requestFocus(threadId).catch(() => {});
      }}
    />
  );
}
