import { useEffect, useRef, useState } from 'preact/hooks';
import { createMediaStore, copyKey, openCopyUrl, type CopyUrl, type MediaStore } from '@/utils/media';
import { t } from '@/utils/i18n';
import type { LocalCopy, Turn } from '@/utils/threads/model';
import { useVisible } from './use-visible';

/** One reader of the local copies per page, opened on first use. */
let store: MediaStore | undefined;
export const pageMedia = (): MediaStore => (store ??= createMediaStore());

/**
 * The local copy of a turn's video as an object URL while its player is near the screen, revoked
 * when it leaves (or the copy changes): a long list never holds every video in memory. `waiting`
 * while a saved copy is being opened, so the player does not start on the relay's link and jump.
 */
export function useLocalCopy(turn: Turn, near: boolean): { copy?: CopyUrl; waiting: boolean; missing: boolean } {
  const [copy, setCopy] = useState<CopyUrl>();
  const [missing, setMissing] = useState(false);
  const saved = turn.media?.video?.state === 'saved';
  useEffect(() => {
    if (!saved || !near) return;
    let live = true;
    let opened: CopyUrl | undefined;
    const done = (c: CopyUrl | undefined) => {
      if (!live) return c?.revoke();
      opened = c;
      setCopy(c);
      // Evicted or deleted since: the relay's link is all there is.
      setMissing(!c);
    };
    void openCopyUrl(pageMedia(), copyKey(turn.mediaOf ?? turn.id, 'video')).then(done, () => done(undefined));
    return () => {
      live = false;
      opened?.revoke();
      setCopy(undefined);
    };
  }, [turn.id, turn.mediaOf, saved, near]);
  return { copy, waiting: saved && !copy && !missing, missing };
}

/** Where the turn's local copy stands, in words (or nothing while there is nothing to say). */
export function copyNote(copy: LocalCopy | undefined): string | undefined {
  if (!copy) return undefined;
  if (copy.state === 'saving') return copy.progress ? t('copySavingPct', { n: copy.progress }) : t('copySaving');
  if (copy.state === 'saved') return undefined;
  return t(`copyFailed_${copy.error === 'no-source' ? 'nosource' : (copy.error ?? 'network')}`);
}

/**
 * Width/height of videos already seen (kept across panel loads, newest 300), so a player reserves
 * its real box at once instead of the orientation the relay announced.
 */
const RATIO_KEY = 'videoRatios';
let ratios: Record<string, number> | undefined;
const knownRatio = (key: string): number | undefined => {
  try {
    ratios ??= JSON.parse(localStorage.getItem(RATIO_KEY) ?? '{}') as Record<string, number>;
  } catch {
    ratios = {};
  }
  return ratios[key];
};
const rememberRatio = (key: string, r: number) => {
  if (knownRatio(key) === r) return;
  const all = Object.entries({ ...ratios, [key]: r }).slice(-300);
  ratios = Object.fromEntries(all);
  try {
    localStorage.setItem(RATIO_KEY, JSON.stringify(ratios));
  } catch {
    // Storage full or unavailable: the box is corrected on this load only.
  }
};

/**
 * The player of a finished turn: its local copy when there is one (links expire), the relay's
 * link otherwise. Off-screen players fetch nothing.
 */
export function Media(props: {
  turn: Turn;
  remote?: string;
  poster?: string;
  label: string;
  /** The copy while it is open, and whether a saved copy turned out to be gone (evicted, deleted). */
  onCopy?: (copy: CopyUrl | undefined, missing: boolean) => void;
}) {
  const { turn, remote, poster, label } = props;
  const ref = useRef<HTMLDivElement>(null);
  // One watcher per element (a second would replace the first's callback).
  const near = useVisible(ref, '600px');
  // Once seen, a player keeps its metadata; the copy's object URL is freed when it is far.
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    if (near) setSeen(true);
  }, [near]);
  const { copy, waiting, missing } = useLocalCopy(turn, near);
  useEffect(() => props.onCopy?.(copy, missing), [copy, missing]);
  const src = copy?.url ?? (waiting ? undefined : remote);
  const [ratio, setRatio] = useState(() => knownRatio(turn.id) ?? (turn.echo?.orientation === 'landscape' ? 16 / 9 : 9 / 16));
  return (
    <div class="media" ref={ref} style={{ aspectRatio: String(ratio) }}>
      {/* Always the player (its poster while far): the source comes once it is known. */}
      <video
        controls
        playsInline
        preload={seen ? 'metadata' : 'none'}
        src={src}
        poster={poster}
        aria-label={label}
        onLoadedMetadata={(e) => {
          const v = e.currentTarget;
          if (!v.videoWidth || !v.videoHeight) return;
          const r = Math.round((v.videoWidth / v.videoHeight) * 1000) / 1000;
          rememberRatio(turn.id, r);
          setRatio(r);
        }}
      />
    </div>
  );
}
