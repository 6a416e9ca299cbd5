import { render, type ComponentType } from 'preact';
import { currentLang, initI18n, pickLang } from '@/utils/i18n';
import { loadSettings, watchSettings } from '@/utils/settings/settings';

/** The page's language on <html> (screen readers, fonts, line breaking) and, if given, its title. */
export function showLang(title?: () => string): void {
  document.documentElement.lang = currentLang();
  if (title) document.title = title();
}

/**
 * Renders a page once its words are loaded (the language set in Options, else the browser's), and
 * anew in the other language when the setting changes, from whichever page.
 */
export async function mount(App: ComponentType, title?: () => string): Promise<void> {
  // Each page's HTML holds <div id="app">.
  const el = document.getElementById('app');
  if (!el) throw new Error('This page has no #app element to render into');
  const draw = () => {
    showLang(title);
    render(<App key={currentLang()} />, el);
  };
  await initI18n((await loadSettings().catch(() => undefined))?.language);
  draw();
  watchSettings(
    () =>
      void loadSettings().then(async ({ language }) => {
        // Already in it (Options switches its own words as it saves): nothing to redo.
        if (pickLang(language) === currentLang()) return;
        await initI18n(language);
        draw();
      }),
  );
}
