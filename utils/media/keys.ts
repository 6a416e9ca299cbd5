import type { CopyKind } from './types';

/**
 * The key of a turn's copy: `${turnId}:video`, `${turnId}:preview`, `${turnId}:image:${index}`.
 * Derived, never stored on the turn alone, so a page finds a turn's copy without asking anyone.
 */
export function copyKey(turnId: string, kind: CopyKind, index?: number): string {
  if (turnId === '') throw new TypeError('copyKey: empty turn id');
  if (kind === 'image') {
    if (index === undefined || !Number.isSafeInteger(index) || index < 0)
      throw new TypeError('copyKey: an image copy needs its index (0, 1, …)');
    return `${turnId}:image:${index}`;
  }
  if (index !== undefined) throw new TypeError(`copyKey: a ${kind} copy has no index`);
  return `${turnId}:${kind}`;
}

export interface ParsedCopyKey {
  turnId: string;
  kind: CopyKind;
  index?: number;
}

/** The inverse of copyKey, read from the end so a turn id holding ':' still parses. */
export function parseCopyKey(key: string): ParsedCopyKey | undefined {
  const image = /^(.+):image:(\d+)$/.exec(key);
  if (image?.[1] !== undefined && image[2] !== undefined) {
    const index = Number(image[2]);
    return Number.isSafeInteger(index) ? { turnId: image[1], kind: 'image', index } : undefined;
  }
  const other = /^(.+):(video|preview)$/.exec(key);
  if (other?.[1] !== undefined && other[2] !== undefined) return { turnId: other[1], kind: other[2] as CopyKind };
  return undefined;
}
