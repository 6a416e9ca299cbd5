import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';

type Watch = (visible: boolean) => void;
const watchers = new Map<string, { io: IntersectionObserver; cbs: WeakMap<Element, Watch> }>();

/**
 * Whether the element is within `margin` of the viewport, from one shared IntersectionObserver
 * per margin. `sticky`: stays true once seen (a video that has loaded its metadata keeps it).
 */
export function useVisible(ref: RefObject<Element | null>, margin = '400px', sticky = false): boolean {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (typeof IntersectionObserver === 'undefined') return setVisible(true);
    let w = watchers.get(margin);
    if (!w) {
      const cbs = new WeakMap<Element, Watch>();
      const io = new IntersectionObserver((entries) => entries.forEach((e) => cbs.get(e.target)?.(e.isIntersecting)), { rootMargin: margin });
      watchers.set(margin, (w = { io, cbs }));
    }
    const { io, cbs } = w;
    cbs.set(el, (v) => {
      setVisible(v);
      if (v && sticky) io.unobserve(el);
    });
    io.observe(el);
    return () => io.unobserve(el);
  }, []);
  return visible;
}
