import { describe, expect, it } from 'vitest';
import { inUse, placeholderSwitch } from '@/components/use-placeholder';

/** Just enough of a card element for the switch (the unit tests run without a DOM). */
function fakeCard(height: number) {
  const doc = { activeElement: null as object | null, pictureInPictureElement: null as object | null };
  const inside = new Set<object>();
  const card = {
    height,
    doc,
    videos: [] as { paused: boolean }[],
    fields: [] as { value: string }[],
    /** Puts `node` inside the card. */
    add<T extends object>(node: T): T {
      inside.add(node);
      return node;
    },
    el: {
      ownerDocument: doc,
      contains: (n: object | null) => !!n && inside.has(n),
      querySelectorAll: (sel: string) => (sel === 'video' ? card.videos : card.fields),
      getBoundingClientRect: () => ({ height: card.height }),
    } as unknown as HTMLElement,
  };
  return card;
}

function harness(height = 640) {
  const card = fakeCard(height);
  let keep = false;
  const shown: (number | undefined)[] = [];
  const s = placeholderSwitch(
    card.el,
    () => keep,
    (h) => shown.push(h),
  );
  return {
    card,
    shown,
    near: () => s.report({ isIntersecting: true }),
    far: () => s.report({ isIntersecting: false }),
    settle: s.settle,
    setKeep: (k: boolean) => (keep = k),
  };
}

describe('cards far from the viewport', () => {
  it('renders in full until the observer first says it is far', () => {
    const h = harness(640);
    h.settle();
    expect(h.shown).toEqual([]);
    h.far();
    expect(h.shown).toEqual([640]);
  });

  it('holds the height the card had when it left, and renders it again when it comes near', () => {
    const h = harness(640);
    h.near();
    h.card.height = 700; // e.g. its video's real ratio arrived
    h.far();
    h.card.height = 40; // what the placeholder itself measures: must not be read back
    h.far();
    h.settle();
    expect(h.shown).toEqual([700]);
    h.near();
    expect(h.shown).toEqual([700, undefined]);
    h.card.height = 720;
    h.far();
    expect(h.shown).toEqual([700, undefined, 720]);
  });

  it('keeps a card with focus, a playing video, a draft, or asked to be kept; rests it once released', () => {
    const h = harness(300);
    const button = h.card.add({});
    h.card.doc.activeElement = button;
    h.far();
    expect(h.shown).toEqual([]);
    h.card.doc.activeElement = null;

    const video = { paused: false };
    h.card.videos.push(video);
    h.settle();
    expect(h.shown).toEqual([]);
    video.paused = true;

    const draft = { value: 'make it rain' };
    h.card.fields.push(draft);
    h.settle();
    expect(h.shown).toEqual([]);
    draft.value = '';

    h.setKeep(true);
    h.settle();
    expect(h.shown).toEqual([]);
    h.setKeep(false);
    h.settle();
    expect(h.shown).toEqual([300]);
  });

  it('does not hold a card for focus elsewhere on the page', () => {
    const { card } = harness();
    card.doc.activeElement = {};
    expect(inUse(card.el)).toBe(false);
  });

  it('counts a picture-in-picture player as in use even when paused', () => {
    const { card } = harness();
    expect(inUse(card.el)).toBe(false);
    card.doc.pictureInPictureElement = card.add({});
    expect(inUse(card.el)).toBe(true);
  });
});
