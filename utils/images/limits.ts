/** The limits on reference images, on their own so a page can show them without the code that applies them. */

/** After preparation: the bytes sent and stored per image. */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;
/** After preparation: the longest side, in pixels. */
export const MAX_IMAGE_SIDE = 2048;
/** Before preparation: a file larger than this is refused rather than decoded. */
export const MAX_SOURCE_BYTES = 40 * 1024 * 1024;
/** Images per turn: video models take one (first frame) or two (first and last frame). */
export const MAX_REFERENCE_IMAGES = 2;
