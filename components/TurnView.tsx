import { browser } from 'wxt/browser';
import { useState } from 'preact/hooks';
import { formatDuration } from '@/utils/format';
import { send } from '@/utils/messages';
import { safeHttpUrl } from '@/utils/safe-url';
import { isActive, STATUS_LABEL, type Thread, type Turn } from '@/utils/threads';
import { videoFilename } from '@/utils/download-name';
import { describeError } from '@/utils/error-text';
import { useNow } from './use-now';

const STATUS_ICON: Record<Turn['status'], string> = {
  pending: '⏳',
  queued: '🕒',
  generating: '🎬',
  completed: '✅',
  failed: '⚠️',
  cancelled: '⏹',
  interrupted: '⏸',
};

export function TurnView({ thread, turn, index }: { thread: Thread; turn: Turn; index: number }) {
  const running = isActive(turn.status);
  const now = useNow(running);
  const [actionError, setActionError] = useState('');
  const video = safeHttpUrl(turn.videoUrl);
  const poster = safeHttpUrl(turn.previewUrl);
  const elapsed = turn.startedAt ? (turn.finishedAt ?? now) - turn.startedAt : undefined;
  const progress = Math.round(turn.progress ?? 0);

  const act = (p: Promise<unknown>) => {
    setActionError('');
    p.catch((e: Error) => setActionError(e.message));
  };
  const download = () => {
    if (!video) return;
    // The request goes to the video host without cookies or the API key: a plain GET.
    act(browser.downloads.download({ url: video, filename: videoFilename(thread.title, index + 1, turn.taskId, video) }));
  };

  return (
    <li class={`turn turn--${turn.status}`} aria-label={`Version ${index + 1}`}>
      <p class="turn__prompt">{turn.prompt}</p>
      <p class="turn__status" role="status">
        <span aria-hidden="true">{STATUS_ICON[turn.status]} </span>
        <span class="turn__status-text">{STATUS_LABEL[turn.status]}</span>
        {turn.status === 'generating' && <span> · {progress}%</span>}
        {elapsed !== undefined && <span class="muted"> · {formatDuration(elapsed)}</span>}
      </p>
      {running && (
        <div
          class="progress"
          role="progressbar"
          aria-label={`Progress of version ${index + 1}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={progress}
        >
          <div class="progress__bar" style={{ width: `${progress}%` }} />
        </div>
      )}
      {turn.error && turn.status !== 'completed' && <ErrorBox turn={turn} />}
      {turn.status === 'completed' && video && (
        <div class="turn__result">
          <video class="turn__video" controls preload="metadata" src={video} poster={poster} />
          <div class="row">
            <button type="button" onClick={download}>Download</button>
            <a class="button" href={video} target="_blank" rel="noopener noreferrer">Open video</a>
          </div>
        </div>
      )}
      <div class="row">
        {running && (
          <button type="button" onClick={() => act(send('cancel', { threadId: thread.id, turnId: turn.id }))}>
            Cancel
          </button>
        )}
        {(turn.status === 'failed' || turn.status === 'cancelled' || turn.status === 'interrupted') && (
          <button
            type="button"
            title="Starts a new generation with the same prompt (the relay bills it again)"
            onClick={() => act(send('retry', { threadId: thread.id, turnId: turn.id }))}
          >
            Retry
          </button>
        )}
      </div>
      {actionError && <p class="error" role="alert">{actionError}</p>}
    </li>
  );
}

function ErrorBox({ turn }: { turn: Turn }) {
  const e = turn.error!;
  const { title, advice } = describeError(e);
  return (
    <div class="error-box" role="alert">
      <strong>{title}</strong>
      {e.serverMessage && e.serverMessage !== e.message ? <p class="server-text">{e.serverMessage}</p> : null}
      <p>{e.message}</p>
      {advice && <p class="muted">{advice}</p>}
    </div>
  );
}
