import { defineConfig } from 'wxt';
import preact from '@preact/preset-vite';
import type { Plugin } from 'vite';

/**
 * Preact's only HTML sink is `dangerouslySetInnerHTML`, which this project never uses. Replacing
 * that one assignment with a throw removes every innerHTML write from the shipped code, so no
 * future slip can render server text as HTML (and `web-ext lint` has nothing to flag). If Preact's
 * code no longer looks as expected, the build fails rather than ship the sink unnoticed.
 */
export function noInnerHtml(): Plugin {
  const sink = /\(([\w$]+)\.innerHTML=([\w$]+)\.__html\)/g;
  return {
    name: 'sora-threads:no-inner-html',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]preact[\\/]dist[\\/][^\\/?]+\.m?js(?:\?.*)?$/.test(id)) return null;
      const out = code.replace(sink, "(()=>{throw Error('dangerouslySetInnerHTML is disabled')})()");
      if (out === code)
        throw new Error(`Preact changed: its dangerouslySetInnerHTML sink was not found in ${id}; update noInnerHtml in wxt.config.ts`);
      if (/\.innerHTML\s*=(?!=)/.test(out))
        throw new Error(`Preact changed: ${id} still writes innerHTML after noInnerHtml; update it in wxt.config.ts`);
      return { code: out, map: null };
    },
  };
}

/**
 * Whether a build carries the hooks the e2e suite drives the extension by (the background's
 * `globalThis.soraThreads`, for the context menu a test cannot click). Store packages
 * (`wxt zip`) never do; `wxt build`, which the tests load, does.
 */
export function withTestHooks(argv: readonly string[] = process.argv): boolean {
  return !argv.slice(2).includes('zip');
}

/** What the extension may use. */
const PERMISSIONS = ['storage', 'unlimitedStorage', 'alarms', 'contextMenus', 'notifications', 'downloads'];

/**
 * Host access: relays on this machine are granted at install (the dev/test relays; they cost the
 * user nothing to trust), over http and https — the same hosts utils/settings-core.ts treats as
 * needing no prompt (INSTALL_HOSTS). Every other origin is an optional permission requested for
 * that one origin when it is needed, so the store listing never asks for <all_urls> up front:
 * an API origin when saved in Options, a task source or media host when a turn needs it.
 * Plain http for every host stays among the optional ones for what can only be reached over http — another
 * loopback address, a LAN relay the user agreed to send the key to unencrypted, an http task
 * source — and is never requested as a whole.
 */
export const HOST_PERMISSIONS = ['http', 'https'].flatMap((scheme) =>
  ['localhost', '127.0.0.1', '[::1]'].map((host) => `${scheme}://${host}/*`),
);
export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  imports: false,
  zip: { excludeSources: ['test-results/**', 'playwright-report/**', 'bench/tmp/**', 'docs/**'] },
  manifest: ({ browser }) => ({
    // Words from public/_locales/<lang>/messages.json, in the browser's UI language.
    default_locale: 'en',
    name: '__MSG_extName__',
    description: '__MSG_extDescription__',
    permissions: [...PERMISSIONS, ...(browser === 'firefox' ? [] : ['sidePanel'])],
    host_permissions: HOST_PERMISSIONS,
    optional_host_permissions: ['https://*/*', 'http://*/*'],
    action: { default_title: '__MSG_actionTitle__' },
    ...(browser === 'firefox' && {
      browser_specific_settings: {
        gecko: {
          id: 'sora-threads@sorathreads.app',
          strict_min_version: '142.0',
          // Nothing is collected: prompts go only to the relay the user configures.
          data_collection_permissions: { required: ['none'] },
        },
      },
    }),
    commands: {
      'open-side-panel': {
        suggested_key: { default: 'Alt+Shift+S' },
        description: '__MSG_cmdOpenPanel__',
      },
    },
  }),
  vite: () => ({
    define: { __SORA_TEST_HOOKS__: JSON.stringify(withTestHooks()) },
    plugins: [preact({ prerender: { enabled: false } }), noInnerHtml()],
    // Reference images are prepared in a module worker (utils/images/prepare.worker.ts).
    worker: { format: 'es' as const },
    build: {
      // Pages load from the extension's own files: preloading what an on-demand import needs saves
      // nothing measurable there, and without it Vite's import helper is ~0.4 KB smaller per page.
      modulePreload: false,
      rolldownOptions: {
        output: {
          // The thread-list code shared by the popup and the side panel travels as one chunk
          // instead of five small ones (each file costs its own gzip overhead on the budgets),
          // without dragging its dependencies in, so the options page does not load it.
          // eslint-disable-next-line @typescript-eslint/no-deprecated -- its successor codeSplitting rejects includeDependenciesRecursively in WXT's strict-signature background build
          advancedChunks: {
            includeDependenciesRecursively: false,
            groups: [
              {
                name: 'threads',
                test: /[\\/]utils[\\/](threads[\\/](store-read|records|model)|runner[\\/]live-progress)\./,
              },
            ],
          },
        },
      },
    },
  }),
});
