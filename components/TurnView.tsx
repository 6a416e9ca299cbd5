import { useState } from 'preact/hooks';
import { videoFilename } from '@/utils/media/download-name';
import { describeError } from '@/utils/relay/error-text';
import type { TurnError } from '@/utils/relay/errors';
import { formatDuration } from '@/utils/format';
import { safeHttpUrl } from '@/utils/relay/safe-url';
import { originPattern } from '@/utils/settings/settings-core';
import { isActive, retriesAsBranch, statusLabel, type Thread, type Turn } from '@/utils/threads/model';
import { canFollowAgain } from '@/utils/runner/follow-again';
import { requestFocus } from '@/utils/side-panel';
import { t } from '@/utils/i18n';
import { browser } from 'wxt/browser';
import { send } from '@/utils/messages';
import { Icon } from './icons';
import { BranchForm } from './ModifyBox';
import { copyNote, Media } from './TurnMedia';
import { TurnImages } from './TurnImages';
import type { CopyUrl } from '@/utils/media';

const DOWNLOAD = 'M10 3v10M6 9l4 4 4-4M4 16.5h12';
const LINK = 'M8.5 11.5l3-3M7.2 8.8l-1.7 1.7a2.5 2.5 0 0 0 3.5 3.5l1.7-1.7M12.8 11.2l1.7-1.7a2.5 2.5 0 0 0-3.5-3.5L9.3 7.7';
const EXTERNAL = 'M11 4h5v5M16 4l-7 7M14 12v3a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h3';
const RETRY = 'M4.5 10a5.5 5.5 0 1 0 1.8-4.1M4.5 3.5v3h3';
const BRANCH = 'M6 3v14M14 3v3.5a4 4 0 0 1-4 4H6';
const CODE = 'M7 6l-4 4 4 4M13 6l4 4-4 4';
const STOP = 'M6.5 6.5h7v7h-7z';
import { useNow } from './use-now';

export interface TurnProps {
  thread: Thread;
  turn: Turn;
  index: number;
  /** The newest completed version: it is modified with the box under the thread. */
  latestDone: boolean;
  /** Place in the local queue while pending (1 = next). */
  queuePos?: number;
}

const CAN_RETRY = new Set<Turn['status']>(['failed', 'cancelled', 'interrupted']);

export function TurnView({ thread, turn, index, latestDone, queuePos }: TurnProps) {
  const n = index + 1;
  const running = isActive(turn.status);
  const now = useNow(running && !!turn.startedAt);
  const [note, setNote] = useState<{ text: string; error?: boolean } | null>(null);
  const [raw, setRaw] = useState(false);
  const [branching, setBranching] = useState(false);
  /** The local copy, while its player is on screen: what Download saves (links expire). */
  const [copy, setCopy] = useState<CopyUrl>();
  /** A saved copy that is gone (evicted or deleted since): only the relay's link is left, if any. */
  const [copyGone, setCopyGone] = useState(false);
  const video = safeHttpUrl(turn.videoUrl);
  const poster = safeHttpUrl(turn.previewUrl);
  const taskPage = safeHttpUrl(turn.taskPageUrl);
  const elapsed = turn.startedAt ? (turn.finishedAt ?? now) - turn.startedAt : undefined;
  const progress = Math.round(turn.progress ?? 0);
  const done = turn.status === 'completed';
  const rid = `${turn.id}-retry`;

  const act = (p: Promise<unknown>, ok?: string) => {
    setNote(null);
    p.then(
      () => ok && setNote({ text: ok }),
      (e: unknown) => setNote({ text: (e as Error).message, error: true }),
    );
  };
  // The local copy when there is one (it outlives the relay's link); otherwise a plain GET of the
  // file: no cookies, no headers, never the API key.
  const source = copy?.url ?? video;
  const download = () =>
    source &&
    act(
      browser.downloads.download({
        url: source,
        filename: videoFilename(
          thread.title,
          n,
          turn.taskId ?? turn.jobId,
          video ?? `${turn.id}.${copy?.blob.type === 'video/webm' ? 'webm' : 'mp4'}`,
        ),
      }),
      t('downloadStarted'),
    );
  const saving = done ? (copyGone && !video ? t('copyGone') : copyNote(turn.media?.video)) : undefined;
  const playable = done && (video !== undefined || turn.media?.video?.state === 'saved');
  const copyLink = () => video && act(copyText(video), t('linkCopied'));
  // Retrying an older version (a newer one completed since) starts a new thread from its own base.
  const asBranch = CAN_RETRY.has(turn.status) && retriesAsBranch(thread, index);
  // A relay without remix: the retry is a new video from the instruction (the runner makes it so).
  const noRemix = turn.error?.kind === 'remix-unsupported';
  const retry = () =>
    act(
      send('retry', { threadId: thread.id, turnId: turn.id }).then((r) => {
        if (r.threadId !== thread.id) return requestFocus(r.threadId);
      }),
    );
  // A task source on a host the extension may not read: ask for that one host, then follow again.
  const needs = turn.status === 'interrupted' && index === thread.turns.length - 1 ? safeHttpUrl(turn.error?.needsAccess) : undefined;
  const access = needs ? new URL(needs) : undefined;
  const aid = `${turn.id}-access`;
  const cid = `${turn.id}-check`;
  const last = index === thread.turns.length - 1;
  const allowAccess = () => {
    if (!access) return;
    // Asked inside the click: the browser shows its prompt only on a user gesture.
    const asked = browser.permissions.request({ origins: [originPattern(access.href)] });
    act(
      asked.then((granted) => {
        if (!granted) throw new Error(t('accessDenied', { host: access.host }));
        return send('followAgain', { threadId: thread.id, turnId: turn.id });
      }),
    );
  };

  return (
    <li class={`turn turn--${turn.status}`} aria-label={t('versionN', { n })}>
      <div class="turn__head">
        <span class="ver" aria-hidden="true">
          v{n}
        </span>
        <p class="turn__status">
          <span class={`dot dot--${turn.status}`} aria-hidden="true" />
          <span role="status">
            <span class="turn__status-text">{statusLabel(turn.status)}</span>
            {turn.status === 'pending' && queuePos ? ` · #${queuePos}` : ''}
          </span>
          {turn.status === 'generating' && <span class="pct"> · {progress}%</span>}
        </p>
        {elapsed !== undefined && (
          <span class="turn__time muted" title={done ? t('timeTook') : t('timeSoFar')}>
            {formatDuration(elapsed)}
          </span>
        )}
      </div>
      {/* The first prompt is already the heading, unless the thread was renamed or it was cut. */}
      {(index > 0 || turn.prompt.replace(/\s+/g, ' ').trim() !== thread.title) && <p class="turn__prompt">{turn.prompt}</p>}
      <TurnImages turn={turn} />
      {running && (
        <div
          class={`progress${turn.status === 'generating' ? '' : ' progress--idle'}`}
          role="progressbar"
          aria-label={t('progressOf', { n })}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={progress}
        >
          <div class="progress__bar" style={{ width: `${progress}%` }} />
        </div>
      )}
      {running && turn.resume && (
        // Worded from the reason, so it follows the language of the page, not of the moment it began.
        <p class="turn__note muted small">{t(`resume_${turn.resume.reason}`)}</p>
      )}
      {turn.error && !done && <ErrorBox error={turn.error} failed={turn.status === 'failed'} />}
      {access && (
        <div class="actions">
          <button type="button" class="btn sm" aria-describedby={aid} onClick={allowAccess}>
            {t('allowAccess', { host: access.host })}
          </button>
          <span class="muted small" id={aid}>
            {t('allowAccessHint')}
          </span>
        </div>
      )}
      {!access && last && canFollowAgain(turn) && (
        <div class="actions">
          <button
            type="button"
            class="btn sm"
            aria-describedby={cid}
            onClick={() => act(send('followAgain', { threadId: thread.id, turnId: turn.id }))}
          >
            <Icon d={RETRY} />
            {t('checkAgain')}
          </button>
          <span class="muted small" id={cid}>
            {t('checkAgainHint')}
          </span>
        </div>
      )}
      {playable && (
        <Media
          turn={turn}
          remote={video}
          poster={poster}
          label={t('videoLabel', { n, prompt: turn.prompt })}
          onCopy={(c, gone) => {
            setCopy(c);
            setCopyGone(gone);
          }}
        />
      )}
      {saving && <p class="turn__note muted small">{saving}</p>}
      <div class="actions">
        {playable && !(copyGone && !video) && (
          <button type="button" class="btn sm primary-soft" onClick={download}>
            <Icon d={DOWNLOAD} />
            {t('download')}
          </button>
        )}
        {done && video && (
          <>
            <button type="button" class="btn sm" onClick={copyLink}>
              <Icon d={LINK} />
              {t('copyLink')}
            </button>
            <a class="btn sm ghost" href={video} target="_blank" rel="noopener noreferrer">
              <Icon d={EXTERNAL} />
              {t('openVideo')}
            </a>
          </>
        )}
        {running && (
          <button type="button" class="btn sm" onClick={() => act(send('cancel', { threadId: thread.id, turnId: turn.id }))}>
            <Icon d={STOP} />
            {t('cancel')}
          </button>
        )}
        {CAN_RETRY.has(turn.status) && (
          <>
            <button type="button" class="btn sm" aria-describedby={rid} onClick={retry}>
              <Icon d={RETRY} />
              {asBranch ? t('retryBranch') : noRemix ? t('newFromInstruction') : t('retry')}
            </button>
            <span class="muted small" id={rid}>
              {asBranch ? t('retryBranchHint') : noRemix ? t('newFromInstructionHint') : t('retryHint')}
            </span>
          </>
        )}
      </div>
      <div class="actions actions--more">
        {taskPage && (
          <a class="btn sm ghost" href={taskPage} target="_blank" rel="noopener noreferrer" aria-label={t('openTaskPage')}>
            <Icon d={EXTERNAL} />
            {t('taskPage')}
          </a>
        )}
        {(turn.content || turn.reasoning) && (
          <button type="button" class="btn sm ghost" aria-label={t('showRaw')} aria-expanded={raw} onClick={() => setRaw(!raw)}>
            <Icon d={CODE} />
            {t('rawAnswer')}
          </button>
        )}
        {done && !latestDone && (
          <button type="button" class="btn sm ghost" aria-expanded={branching} onClick={() => setBranching(!branching)}>
            <Icon d={BRANCH} />
            {t('modifyFromHere')}
          </button>
        )}
      </div>
      {note && (
        <p class={note.error ? 'error small' : 'ok small'} role={note.error ? 'alert' : 'status'}>
          {note.text}
        </p>
      )}
      {raw && (
        <div class="raw" role="region" tabIndex={0} aria-label={t('rawOf', { n })}>
          {turn.reasoning && (
            <>
              <p class="small muted">{t('rawReasoning')}</p>
              <pre>{turn.reasoning}</pre>
            </>
          )}
          {turn.content && <pre>{turn.content}</pre>}
        </div>
      )}
      {branching && done && <BranchForm thread={thread} turn={turn} n={n} close={() => setBranching(false)} />}
    </li>
  );
}

function ErrorBox({ error: e, failed }: { error: TurnError; failed: boolean }) {
  const { title, advice } = describeError(e);
  // What the relay answered is its status and its own words; the sentence kept with the turn only
  // repeats them after the title (it is written for notifications, which have no title of this
  // kind). Every other failure is a sentence of ours, shown as it is.
  const http = e.status !== undefined && e.status >= 300 ? `HTTP ${e.status}` : undefined;
  const fromRelay = http !== undefined || e.serverMessage !== undefined;
  return (
    <div class={`notice notice--${failed ? 'error' : 'info'}`}>
      <strong>{title}</strong>
      {!fromRelay && <p>{e.message}</p>}
      {fromRelay && (
        <p class="server-text">
          {http && (
            <span class="muted">
              {http}
              {e.serverMessage ? ' · ' : ''}
            </span>
          )}
          {e.serverMessage && (
            <>
              <span class="muted">{t('relaySaid')} </span>
              {e.serverMessage}
            </>
          )}
        </p>
      )}
      {advice && <p class="muted">{advice}</p>}
    </div>
  );
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission or focus: the classic way, still from this click.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the one way to copy when the Clipboard API refuses; nothing replaces it
    const ok = document.execCommand('copy');
    ta.remove();
    if (!ok) throw new Error(t('copyFailed'));
  }
}
