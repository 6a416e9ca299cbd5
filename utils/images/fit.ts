import { MAX_IMAGE_SIDE } from './limits';

/** The sizing of a reference image: pure arithmetic, so it is tested without a canvas. */

export interface Box {
  width: number;
  height: number;
}

/** A region of the source image, in its pixels. */
export interface Crop {
  sx: number;
  sy: number;
  sw: number;
  sh: number;
}

/** A video job's `size` (`1280x720`: width × height), or undefined for the relay's default. */
export function parseVideoSize(size: string | undefined): Box | undefined {
  const m = /^(\d{2,5})x(\d{2,5})$/.exec(size ?? '');
  if (!m) return undefined;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** Scaled down (never up) so the longest side is at most `max`. */
export function fitWithin(width: number, height: number, max = MAX_IMAGE_SIDE): Box {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The largest centred region of a `width` × `height` image with the target's proportions. */
export function coverCrop(width: number, height: number, target: Box): Crop {
  const want = target.width / target.height;
  if (width / height > want) {
    const sw = Math.max(1, Math.round(height * want));
    return { sx: Math.floor((width - sw) / 2), sy: 0, sw, sh: height };
  }
  const sh = Math.max(1, Math.round(width / want));
  return { sx: 0, sy: Math.floor((height - sh) / 2), sw: width, sh };
}

/**
 * What to draw from an image of this size: all of it, fitted within MAX_IMAGE_SIDE; or, for a video
 * job with a size, the centred crop of the video's proportions at exactly that size (the Videos
 * API refuses a reference image whose size differs from the video's).
 */
export function planImage(width: number, height: number, size?: string): { crop: Crop; out: Box; fixed: boolean } {
  const target = parseVideoSize(size);
  if (target) return { crop: coverCrop(width, height, target), out: target, fixed: true };
  return { crop: { sx: 0, sy: 0, sw: width, sh: height }, out: fitWithin(width, height), fixed: false };
}

/** A smaller box with the same proportions, for a picture that is still too many bytes. */
export function shrink(box: Box, factor = 0.75): Box {
  return { width: Math.max(1, Math.round(box.width * factor)), height: Math.max(1, Math.round(box.height * factor)) };
}
