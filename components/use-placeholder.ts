import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { watchNear } from './use-visible';

/**
 * Cards within two panel heights above or below the viewport render fully, farther ones as a
 * placeholder. Two screens because: a fling or PageDown covers about one screen before the
 * observer reports, so the next card is mounted before it shows; Tab always lands in a full card
 * (the neighbours of the focused one are near); the window is wider than the players' 600px
 * preload margin, so a card is not torn down while its video fetches metadata. In percent so it
 * follows the panel's height: about five screens stay mounted, however long the list.
 */
export const NEAR_MARGIN = '200% 0px';

/** Something the user is in the middle of inside the card, which unmounting it would lose. */
export function inUse(el: Element): boolean {
  const doc = el.ownerDocument;
  if (el.contains(doc.activeElement) || el.contains(doc.pictureInPictureElement)) return true;
  for (const v of el.querySelectorAll('video')) if (!v.paused) return true;
  // Drafts live in the forms' own state: a card with a typed instruction (or an open rename) stays.
  for (const f of el.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('textarea, input')) if (f.value) return true;
  return false;
}

/**
 * Decides when a card gives way to its placeholder and at what height, from the observer's
 * reports; `show` receives the height to hold, or undefined to render the card. The height is
 * read from the real card at the moment it leaves, so the swap moves nothing on the page.
 */
export function placeholderSwitch(el: HTMLElement, keep: () => boolean, show: (height: number | undefined) => void) {
  // Until the first report a card counts as near: it renders in full and gets measured.
  let near = true;
  let height: number | undefined;
  const settle = () => {
    const far = !near && !keep() && !inUse(el);
    const next = far ? (height ?? el.getBoundingClientRect().height) : undefined;
    if (next !== height) show((height = next));
  };
  const report = (e: { isIntersecting: boolean }) => {
    near = e.isIntersecting;
    settle();
  };
  return { report, settle };
}

/**
 * The height of the placeholder `ref`'s card should render as, or undefined to render it fully.
 * `keep`: render it in full regardless, from this very render on (so a scroll to a thread asked
 * for lands on the real card, not on a placeholder about to grow into it).
 */
export function usePlaceholder(ref: RefObject<HTMLElement | null>, keep: boolean): number | undefined {
  const [height, setHeight] = useState<number>();
  const kept = useRef(keep);
  kept.current = keep;
  const settle = useRef<() => void>(undefined);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const s = placeholderSwitch(el, () => kept.current, setHeight);
    settle.current = s.settle;
    // What holds a far card can end without the observer noticing: look again once focus has
    // moved (after the event: during it, the old element still counts) or a video stopped.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(s.settle);
    };
    el.addEventListener('focusout', later);
    // Media events do not bubble; the capture phase still passes through the card.
    el.addEventListener('pause', later, true);
    el.addEventListener('leavepictureinpicture', later, true);
    const stop = watchNear(el, NEAR_MARGIN, s.report);
    return () => {
      stop();
      clearTimeout(timer);
      el.removeEventListener('focusout', later);
      el.removeEventListener('pause', later, true);
      el.removeEventListener('leavepictureinpicture', later, true);
    };
  }, []);
  useEffect(() => settle.current?.(), [keep]);
  return keep ? undefined : height;
}
