import type { ImageMime } from './turn-image';

/** Image bytes as the relays see them: what format they really are, and as a data URL. No DOM, no i18n. */

/** The format the bytes really are, whatever their name or declared type says. */
export function sniffImage(b: Uint8Array): ImageMime | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** `data:image/jpeg;base64,…` — the same bytes always give the same string (history is re-sent verbatim). */
export function imageDataUrl(bytes: Uint8Array, mime: ImageMime): string {
  let binary = '';
  // fromCharCode takes arguments: in slices, or a large image overflows the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${mime};base64,${btoa(binary)}`;
}
