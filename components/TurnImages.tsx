import { useEffect, useState } from 'preact/hooks';
import { copyKey } from '@/utils/media/keys';
import { t } from '@/utils/i18n';
import type { Turn } from '@/utils/threads/model';
import { pageMedia } from './TurnMedia';
import './reference-images.css';

/**
 * The images a turn was sent with, from the media store (object URLs, freed when the turn leaves
 * the screen). One whose bytes are not stored here (an import without them) says so instead.
 */
export function TurnImages({ turn }: { turn: Turn }) {
  const count = turn.images?.length ?? 0;
  const [urls, setUrls] = useState<(string | undefined)[]>();
  useEffect(() => {
    if (!count) return;
    let live = true;
    let opened: (string | undefined)[] = [];
    const revoke = () => opened.forEach((url) => url && URL.revokeObjectURL(url));
    const keys = Array.from({ length: count }, (_, i) => copyKey(turn.id, 'image', i));
    // Read, not opened as copies: a reference image is never evicted, so there is no use to record.
    void Promise.all(
      keys.map((key) =>
        pageMedia()
          .readBlob(key)
          .catch(() => undefined),
      ),
    ).then((blobs) => {
      opened = blobs.map((blob) => blob && URL.createObjectURL(blob));
      if (live) setUrls(opened);
      else revoke();
    });
    return () => {
      live = false;
      revoke();
      setUrls(undefined);
    };
  }, [turn.id, count]);
  if (!count || !urls) return null;
  return (
    <ul class="turn__images">
      {urls.map((url, i) => (
        <li key={i}>
          {url ? <img src={url} alt={t('referenceImage')} /> : <span class="muted small">{t('imageNotStored', { n: i + 1 })}</span>}
        </li>
      ))}
    </ul>
  );
}
