import { t } from '../i18n';
import { sniffImage } from './image-bytes';
import { MAX_IMAGE_BYTES } from './limits';
import type { ImageMime, TurnImage } from './turn-image';

/*
 * Reference images as the core handles them: a page's data URL checked into bytes, a problem
 * worded for the user. No DOM: the background, the pages and the unit tests share it. Decoding
 * and downscaling need a canvas and live in ./prepare.
 */

export type { ImageMime, TurnImage } from './turn-image';
export { isTurnImage } from './turn-image';
export { imageDataUrl, sniffImage } from './image-bytes';
export { MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, MAX_REFERENCE_IMAGES, MAX_SOURCE_BYTES } from './limits';

const SENTENCES = {
  'not-image': 'image_notImage',
  'too-large': 'image_tooLarge',
  undecodable: 'image_undecodable',
  'too-many': 'image_tooMany',
  missing: 'image_missing',
} as const;

export type ImageProblemCode = keyof typeof SENTENCES;

/** A problem with an image, in the user's words. Nothing is stored or sent when one is thrown. */
export class ImageProblem extends Error {
  constructor(
    readonly code: ImageProblemCode,
    vars?: Record<string, string | number>,
  ) {
    super(t(SENTENCES[code], vars));
    this.name = 'ImageProblem';
  }
}

/** `4 MB`, for the limits in those sentences. */
export const megabytes = (n: number): string => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

const DATA_URL = /^data:(image\/(?:jpeg|png|webp));base64,([A-Za-z0-9+/]*={0,2})$/;

/**
 * The bytes of an image data URL from a page. Refused unless it is base64 of a JPEG, PNG or WebP
 * whose bytes are what the URL says, within MAX_IMAGE_BYTES.
 */
export function parseImageDataUrl(url: unknown): { mime: ImageMime; bytes: Uint8Array<ArrayBuffer> } {
  if (typeof url === 'string' && url.length > Math.ceil(MAX_IMAGE_BYTES / 3) * 4 + 32)
    throw new ImageProblem('too-large', { max: megabytes(MAX_IMAGE_BYTES) });
  const m = typeof url === 'string' ? DATA_URL.exec(url) : null;
  if (!m?.[1] || m[2] === undefined) throw new ImageProblem('not-image');
  let binary: string;
  try {
    binary = atob(m[2]);
  } catch {
    throw new ImageProblem('not-image');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (bytes.length > MAX_IMAGE_BYTES) throw new ImageProblem('too-large', { max: megabytes(MAX_IMAGE_BYTES) });
  if (bytes.length === 0 || sniffImage(bytes) !== m[1]) throw new ImageProblem('not-image');
  return { mime: m[1], bytes };
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The file name a relay sees for the image (some check the extension). */
export function imageFileName(image: Pick<TurnImage, 'mime'>, index: number): string {
  return `reference-${index + 1}.${image.mime === 'image/jpeg' ? 'jpg' : image.mime.slice('image/'.length)}`;
}
