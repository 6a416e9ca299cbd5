import { useState } from 'preact/hooks';
import { send } from '@/utils/messages';
import type { Thread } from '@/utils/threads';

/** The next instruction for a finished video; the background sends the whole history with it. */
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
    <form class="modify" onSubmit={submit}>
      <label for={id} class="sr-only">Modify this video</label>
      <textarea
        id={id}
        rows={2}
        placeholder="Modify this video, e.g. “make it night time”"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
        }}
      />
      <button type="submit" disabled={busy}>Send</button>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
