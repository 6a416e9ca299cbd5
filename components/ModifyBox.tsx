import { useState } from 'preact/hooks';
import type { Thread } from '@/utils/threads';
import { send } from '@/utils/messages';
import { t } from '@/utils/i18n';

/** The next instruction for the latest video; the background sends the whole history with it. */
export function ModifyBox({ thread }: { thread: Thread }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const id = `modify-${thread.id}`;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return setError(t('modifyNeeded'));
    setBusy(true);
    setError('');
    try {
      await send('modify', { threadId: thread.id, prompt: text });
      setText('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="modify modify--next" onSubmit={submit} noValidate>
      <label for={id} class="label">
        {t('modifyLabel')}
      </label>
      <div class="modify__row">
        <textarea
          id={id}
          rows={2}
          placeholder={t('modifyPlaceholder')}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setError('');
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
          }}
        />
        <button type="submit" class="btn primary" disabled={busy}>
          {t('send')}
        </button>
      </div>
      {error && <p class="error small" role="alert">{error}</p>}
    </form>
  );
}
