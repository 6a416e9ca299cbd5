import { useState } from 'preact/hooks';
import type { Thread } from '@/utils/threads';
import { send } from '@/utils/messages';

/** The next instruction for the latest video; the background sends the whole history with it. */
export function ModifyBox({ thread }: { thread: Thread }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const id = `modify-${thread.id}`;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return setError('Describe how to change this video.');
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
        Modify this video
      </label>
      <div class="modify__row">
        <textarea
          id={id}
          rows={2}
          placeholder="Describe a change, e.g. “make it night time”"
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
          Send
        </button>
      </div>
      {error && <p class="error small" role="alert">{error}</p>}
    </form>
  );
}
