// `npm run demo`: build the extension, start the mock relay, launch Chromium with the extension
// loaded and already pointed at the relay, and run one video thread so a newcomer sees it work
// with no account. `--once` exits when that first video is done (used to check the demo itself).
// `--jobs`: the relay speaks the Videos job API (new-api's shape; `--jobs=grok2api` for grok2api's)
// and the extension is set to "Video jobs (/v1/videos)".
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumPath, extensionArgs, extensionWorker } from '../e2e/chromium';
import { startRelay } from '../relay/index';

const once = process.argv.includes('--once');
const jobsArg = process.argv.find((a) => a === '--jobs' || a.startsWith('--jobs='));
const flavour = jobsArg?.includes('=') ? (jobsArg.split('=')[1] as 'new-api' | 'grok2api') : 'new-api';
const protocol = jobsArg ? 'jobs' : 'chat';
const model = flavour === 'grok2api' && jobsArg ? 'grok-imagine-video' : 'sora-2';
const extensionDir = path.resolve('.output/chrome-mv3');
const executablePath = chromiumPath();
const hasDisplay = !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) || process.platform === 'darwin' || process.platform === 'win32';
const debugPort = Number(process.env.DEMO_DEBUG_PORT ?? 9222);
const say = (s: string) => console.log(`[demo] ${s}`);

if (!existsSync(executablePath)) {
  console.error(
    `[demo] Chromium not found at ${executablePath}. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH.`,
  );
  process.exit(1);
}

say('building the extension (wxt build)…');
execSync('npx wxt build', { stdio: 'ignore' });
say(`built: ${extensionDir}`);

let relay;
try {
  relay = await startRelay({ port: Number(process.env.RELAY_PORT ?? 8787), videos: flavour });
} catch {
  relay = await startRelay({ port: 0, videos: flavour });
}
say(`mock relay: ${relay.url}  (API key ${relay.apiKey}${jobsArg ? `, Videos job API as ${flavour}` : ''})`);

const context = await chromium.launchPersistentContext('', {
  executablePath,
  headless: !hasDisplay,
  viewport: null,
  args: [...extensionArgs(extensionDir, { headless: !hasDisplay }), ...(hasDisplay ? [] : [`--remote-debugging-port=${debugPort}`])],
});
const worker = await extensionWorker(context);
const extensionId = new URL(worker.url()).host;
say(`Chromium ${hasDisplay ? 'window opened' : 'started headless (no display found)'}; extension id ${extensionId}`);

await worker.evaluate(
  async ({ baseUrl, apiKey, model, protocol, flavour }) => {
    const g = globalThis as unknown as {
      chrome: { storage: { local: { get(k: string): Promise<Record<string, unknown>>; set(i: object): Promise<void> } } };
    };
    const cur = (await g.chrome.storage.local.get('settings')).settings ?? {};
    await g.chrome.storage.local.set({
      settings: { ...cur, baseUrl, apiKey, model, protocol, videosFlavour: protocol === 'jobs' ? flavour : '' },
    });
  },
  { baseUrl: relay.url, apiKey: relay.apiKey, model, protocol, flavour },
);
say(
  `options set: API base URL ${relay.url}, API key ${relay.apiKey}, model ${model}, protocol ${protocol === 'jobs' ? 'Video jobs (/v1/videos)' : 'Chat completions (streaming)'}`,
);

const panel = await context.newPage();
await panel.goto(`chrome-extension://${extensionId}/sidepanel.html`);
const popup = await context.newPage();
await popup.goto(`chrome-extension://${extensionId}/popup.html`);
const prompt = 'A corgi surfing a giant wave at sunset, cinematic';
await popup.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
await popup.getByRole('button', { name: 'Generate' }).click();
await popup.close();
say(`generated from the popup: “${prompt}” (popup closed; the background keeps the job)`);

const thread = panel.getByRole('article', { name: prompt });
let last = '';
const bar = thread.getByRole('progressbar');
const deadline = Date.now() + 60_000;
const done = thread.getByText(/^Completed$/);
while (Date.now() < deadline) {
  if ((await done.count()) && (await thread.locator('video[src]').count())) break;
  const now = (await bar.count()) ? `progress ${await bar.first().getAttribute('aria-valuenow')}%` : 'queued';
  if (now !== last) say(`side panel: ${(last = now)}`);
  await panel.waitForTimeout(150);
}
const src = await thread
  .locator('video[src]')
  .first()
  .getAttribute('src')
  .catch(() => null);
say(
  src
    ? `completed: the side panel plays ${src.startsWith('blob:') ? 'its local copy of the video (saved by the background)' : src}`
    : 'the video did not complete within 60 s',
);
await panel.bringToFront();

if (!hasDisplay) {
  say(`No display here. To see the browser, either run \`npm run demo\` on a machine with a desktop,`);
  say(
    `or open chrome://inspect in a local Chrome, add localhost:${debugPort} (forward the port over ssh: ssh -L ${debugPort}:localhost:${debugPort} this-host) and inspect the side panel tab.`,
  );
}
say(`extension pages: chrome-extension://${extensionId}/sidepanel.html  …/popup.html  …/options.html`);

const stop = async (code = 0) => {
  await context.close().catch(() => {});
  await relay.close().catch(() => {});
  process.exit(code);
};
if (once) await stop(src ? 0 : 1);
say('running; press Ctrl+C to stop the relay and the browser.');
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
