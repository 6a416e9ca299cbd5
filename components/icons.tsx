/**
 * Line icons (20×20, currentColor), decorative: the control next to them carries the name. Each
 * path lives with the component that draws it, so a page only ships the icons it shows.
 */
export const PANEL = 'M5 4h10a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zM12 4v12';
export const SETTINGS = 'M3 6h9M15 6h2M3 14h2M8 14h9M13.5 4v4M6.5 12v4';

export function Icon({ d }: { d: string }) {
  return (
    <svg class="i" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
      <path d={d} />
    </svg>
  );
}

/** The brand mark: a play triangle on the accent gradient. */
export function Logo() {
  return (
    <span class="logo" aria-hidden="true">
      <svg viewBox="0 0 20 20">
        <path d="M8 6.2l6 3.8-6 3.8z" />
      </svg>
    </span>
  );
}
