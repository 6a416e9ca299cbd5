import { planImage, shrink, type Box } from './fit';
import { imageDataUrl } from './image-bytes';
import { MAX_IMAGE_BYTES, MAX_SOURCE_BYTES } from './limits';
import type { ImageMime } from './turn-image';

/** An image ready to send: what the relay receives, byte for byte, and what the turn keeps. */
export interface PreparedImage {
  dataUrl: string;
  mime: ImageMime;
  bytes: number;
  width: number;
  height: number;
}

/**
 * Why an image could not be prepared, as a code (a worker has no words loaded): the page or the
 * background words it (ImageProblem in ./reference-image).
 */
export class PrepareFailure extends Error {
  constructor(
    readonly code: 'not-image' | 'too-large' | 'undecodable',
    /** The limit passed, in bytes (too-large). */
    readonly limit?: number,
  ) {
    super(code);
  }
}

/** JPEG qualities tried in turn until the picture fits MAX_IMAGE_BYTES. */
const QUALITIES = [0.9, 0.8, 0.7, 0.6];

/**
 * Decodes any image the browser can open (JPEG, PNG, WebP, GIF, AVIF, BMP…) and draws it again as
 * a JPEG within 2048 px and 4 MB — or, for a video job with a size, cropped to that size's
 * proportions at exactly that size. Re-encoding also drops what the file carried besides the
 * picture (camera, place). Needs createImageBitmap and OffscreenCanvas: pages run it in a worker
 * (./prepare.worker), the background in its own worker.
 */
export async function prepareImage(file: Blob, size?: string): Promise<PreparedImage> {
  if (file.size > MAX_SOURCE_BYTES) throw new PrepareFailure('too-large', MAX_SOURCE_BYTES);
  if (file.size === 0 || (file.type !== '' && !file.type.startsWith('image/'))) throw new PrepareFailure('not-image');
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    // A file that says it is an image but cannot be opened is damaged (or a format this browser lacks).
    throw new PrepareFailure(file.type === '' ? 'not-image' : 'undecodable');
  }
  try {
    const { crop, out, fixed } = planImage(bitmap.width, bitmap.height, size);
    let box: Box = out;
    for (;;) {
      const canvas = new OffscreenCanvas(box.width, box.height);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new PrepareFailure('undecodable');
      // JPEG has no transparency: transparent parts become white, not black.
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, box.width, box.height);
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(bitmap, crop.sx, crop.sy, crop.sw, crop.sh, 0, 0, box.width, box.height);
      for (const quality of QUALITIES) {
        const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
        if (blob.size <= MAX_IMAGE_BYTES) {
          const bytes = new Uint8Array(await blob.arrayBuffer());
          return { dataUrl: imageDataUrl(bytes, 'image/jpeg'), mime: 'image/jpeg', bytes: bytes.length, ...box };
        }
      }
      // A job's size is fixed (the API checks it); otherwise fewer pixels until it fits.
      if (fixed) throw new PrepareFailure('too-large', MAX_IMAGE_BYTES);
      box = shrink(box);
    }
  } finally {
    bitmap.close();
  }
}
