import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';

type Watch = (entry: IntersectionObserverEntry) => void;
const watchers = new Map<string, { io: IntersectionObserver; cbs: WeakMap<Element, Set<Watch>> }>();

/**
 * Calls `cb` each time `el` enters or leaves the viewport grown by `margin` (and once at the
 * start), from one shared IntersectionObserver per margin: hundreds of cards cost one observer.
 * Returns the function that stops watching.
 */
export function watchNear(el: Element, margin: string, cb: Watch): () => void {
  let w = watchers.get(margin);
  if (!w) {
    const cbs = new WeakMap<Element, Set<Watch>>();
    const io = new IntersectionObserver((entries) => entries.forEach((e) => cbs.get(e.target)?.forEach((f) => f(e))), {
      rootMargin: margin,
    });
    watchers.set(margin, (w = { io, cbs }));
  }
  const { io, cbs } = w;
  // Several watchers of one element each get every change (a new one also gets the current state,
  // as observe() reports it once).
  let set = cbs.get(el);
  if (!set) cbs.set(el, (set = new Set()));
  set.add(cb);
  io.unobserve(el);
  io.observe(el);
  return () => {
    set.delete(cb);
    if (set.size === 0) {
      io.unobserve(el);
      cbs.delete(el);
    }
  };
}

/**
 * Whether the element is within `margin` of the viewport. `sticky`: stays true once seen (a
 * video that has loaded its metadata keeps it).
 */
export function useVisible(ref: RefObject<Element | null>, margin = '400px', sticky = false): boolean {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return;
    }
    const stop = watchNear(el, margin, (e) => {
      setVisible(e.isIntersecting);
      if (e.isIntersecting && sticky) stop();
    });
    return stop;
  }, []);
  return visible;
}
