import { MAX_IMAGE_BYTES } from './limits';

/** What a turn keeps of each image it was sent with; the bytes live in the media store. */
export interface TurnImage {
  mime: ImageMime;
  /** Size of the stored bytes. */
  bytes: number;
  /** Hex SHA-256 of the stored bytes: what is sent again must be what was sent. */
  sha256: string;
}

export type ImageMime = 'image/jpeg' | 'image/png' | 'image/webp';

/** A stored image ref from storage or an import: anything else is not one. */
export function isTurnImage(x: unknown): x is TurnImage {
  if (typeof x !== 'object' || x === null) return false;
  const { mime, bytes, sha256 } = x as Record<string, unknown>;
  return (
    (mime === 'image/jpeg' || mime === 'image/png' || mime === 'image/webp') &&
    typeof bytes === 'number' &&
    Number.isSafeInteger(bytes) &&
    bytes > 0 &&
    bytes <= MAX_IMAGE_BYTES &&
    typeof sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(sha256)
  );
}
