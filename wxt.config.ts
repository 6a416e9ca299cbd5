import { defineConfig } from 'wxt';
import preact from '@preact/preset-vite';

// Host access: localhost relays are granted at install (they are the dev/test relays and cost
// the user nothing to trust); any other API origin is an optional permission requested when the
// user saves it in Options, so the store listing never asks for <all_urls> up front.
export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  imports: false,
  manifest: ({ browser }) => ({
    name: 'Sora Threads',
    description: 'Generate sora-2 videos through your OpenAI-compatible relay, keep every job, and keep modifying each video.',
    permissions: ['storage', 'unlimitedStorage', 'alarms', 'contextMenus', 'notifications', 'downloads', ...(browser === 'firefox' ? [] : ['sidePanel'])],
    host_permissions: ['http://127.0.0.1/*', 'http://localhost/*'],
    optional_host_permissions: ['https://*/*', 'http://*/*'],
    action: { default_title: 'Sora Threads' },
    commands: {
      'open-side-panel': {
        suggested_key: { default: 'Alt+Shift+S' },
        description: 'Open the Sora Threads side panel',
      },
    },
  }),
  vite: () => ({
    plugins: [preact({ prerender: { enabled: false } })],
  }),
});
