/*
 * Reference images end to end, in Chromium against the mock relay: attached in the popup (file,
 * paste, drop) or under "Modify this video", prepared in the page, received by the relay as a
 * chat content part or a Videos API file part (new-api's and grok2api's names), shown on the turn,
 * sent again byte for byte by every later turn; refused when they are no images; and started from
 * an image of a web page through the context menu.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import type { Locator, Page, Worker } from '@playwright/test';
import { startRelay, type RecordedRequest, type Relay } from '../relay/index';
import { expect, test } from './fixtures';
import { configureJobs, configureRelay } from './helpers';

const IMAGE_MENU_ID = 'sora-threads-generate-image';

/** A real PNG (RGBA, stripes with a transparent band), as a user's large screenshot would be. */
function png(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + width * 4);
  const raw = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 1 + x * 4;
      row[o] = (x * 7) & 255;
      row[o + 1] = (y * 5) & 255;
      row[o + 2] = 200;
      row[o + 3] = y < height / 10 ? 0 : 255;
    }
    row.copy(raw, y * row.length);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const WIDE = { name: 'wide-screenshot.png', mimeType: 'image/png', buffer: png(3000, 1200) };
const SMALL = { name: 'small.png', mimeType: 'image/png', buffer: png(400, 300) };

type Message = { role: string; content: unknown };
const messagesOf = (r: RecordedRequest | undefined) => (r?.body as { messages: Message[] }).messages;

/** Attaches files with the "Reference image" input inside `scope`, and waits for their thumbnails. */
async function attach(scope: Page | Locator, files: (typeof WIDE)[], expected = files.length): Promise<void> {
  await scope.getByLabel('Reference image', { exact: true }).setInputFiles(files);
  await expect(scope.getByRole('img', { name: /^Attached image \d$/ })).toHaveCount(expected);
}

/** A file handed to the page as the clipboard or a drop would hand it. */
async function pasteOrDrop(target: Locator, how: 'paste' | 'drop', file: { name: string; mimeType: string; buffer: Buffer }) {
  await target.evaluate(
    (el, [kind, name, type, base64]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name, { type }));
      const event =
        kind === 'paste'
          ? new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true })
          : new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
      el.dispatchEvent(event);
    },
    [how, file.name, file.mimeType, file.buffer.toString('base64')] as const,
  );
}

test('chat: an image attached in the popup reaches the relay as a content part, shows on the turn, and every modification sends it again verbatim', async ({
  openPage,
  relay,
}) => {
  const options = await openPage('options');
  await configureRelay(options, relay);
  const popup = await openPage('popup');
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('the stripes start to wave');
  await attach(popup, [WIDE]);
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('textbox', { name: 'Prompt' })).toHaveValue('');
  await expect(popup.getByRole('img', { name: /^Attached image/ })).toHaveCount(0);

  const panel = await openPage('sidepanel');
  const thread = panel.getByRole('article', { name: 'the stripes start to wave' });
  await expect(thread.locator('video')).toHaveCount(1, { timeout: 20_000 });

  // What the relay received: the text, then the image prepared in the page — a JPEG within 2048 px.
  const [first] = relay.chatRequests();
  const part = first!.chat![0]!;
  expect(part).toMatchObject({ role: 'user', text: 'the stripes start to wave', parts: true });
  expect(part.images).toHaveLength(1);
  expect(part.images[0]).toMatchObject({ kind: 'data', mime: 'image/jpeg', image: { format: 'jpeg', width: 2048, height: 819 } });
  expect(part.images[0]!.size).toBeLessThanOrEqual(4 * 1024 * 1024);

  // The turn shows the image it was sent with, from the local store.
  const v1 = thread.getByRole('listitem', { name: 'Version 1' });
  const shown = v1.getByRole('img', { name: 'Reference image', exact: true });
  await expect(shown).toHaveCount(1);
  await expect.poll(() => shown.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([2048, 819]);
  await expect(shown).toHaveAttribute('src', /^blob:chrome-extension:\/\//);

  // A modification without an image sends the first user message again, byte for byte.
  await thread.getByRole('textbox', { name: 'Modify this video' }).fill('now slower');
  await thread.getByRole('button', { name: 'Send' }).click();
  await expect(thread.locator('video')).toHaveCount(2, { timeout: 20_000 });
  // And one with an image of its own, attached under "Modify this video".
  await thread.getByRole('textbox', { name: 'Modify this video' }).fill('add this logo');
  await attach(thread, [SMALL]);
  await thread.getByRole('button', { name: 'Send' }).click();
  await expect(thread.locator('video')).toHaveCount(3, { timeout: 20_000 });

  const [, second, third] = relay.chatRequests();
  const firstUser = JSON.stringify(messagesOf(first)[0]);
  expect(JSON.stringify(messagesOf(second)[0])).toBe(firstUser);
  expect(JSON.stringify(messagesOf(third)[0])).toBe(firstUser);
  expect(messagesOf(second)[2]).toEqual({ role: 'user', content: 'now slower' });
  expect(third!.chat![4]).toMatchObject({ role: 'user', text: 'add this logo', parts: true });
  expect(third!.chat![4]!.images[0]).toMatchObject({ mime: 'image/jpeg', image: { width: 400, height: 300 } });
  await expect(thread.getByRole('listitem', { name: 'Version 3' }).getByRole('img', { name: 'Reference image', exact: true })).toHaveCount(
    1,
  );
});

test('a file that is no image is refused with a clear message; paste and drop attach, at most two, each removable', async ({
  openPage,
  relay,
}) => {
  const options = await openPage('options');
  await configureRelay(options, relay);
  const popup = await openPage('popup');
  const input = popup.getByLabel('Reference image', { exact: true });

  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just words') });
  await expect(popup.getByRole('alert')).toHaveText('That file is not an image. Attach a JPEG, PNG, WebP or other picture.');
  await input.setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
  await expect(popup.getByRole('alert')).toHaveText(
    'The image could not be opened: the file may be damaged, or in a format this browser cannot read.',
  );
  await expect(popup.getByRole('img', { name: /^Attached image/ })).toHaveCount(0);

  const prompt = popup.getByRole('textbox', { name: 'Prompt' });
  await pasteOrDrop(prompt, 'paste', SMALL);
  await expect(popup.getByRole('img', { name: 'Attached image 1' })).toBeVisible();
  await expect(popup.getByRole('alert')).toHaveCount(0);
  await pasteOrDrop(prompt, 'drop', WIDE);
  await expect(popup.getByRole('img', { name: 'Attached image 2' })).toBeVisible();
  await input.setInputFiles(SMALL);
  await expect(popup.getByRole('alert')).toHaveText('At most 2 reference images per video.');
  await expect(popup.getByRole('img', { name: /^Attached image/ })).toHaveCount(2);
  await popup.getByRole('button', { name: 'Remove attached image 1' }).click();
  await expect(popup.getByRole('img', { name: /^Attached image/ })).toHaveCount(1);

  // What is sent is what is shown: the dropped (wide) image alone.
  await prompt.fill('only the wide one');
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(prompt).toHaveValue('');
  await expect.poll(() => relay.chatRequests().length, { timeout: 10_000 }).toBe(1);
  expect(relay.chatRequests()[0]!.chat![0]!.images.map((i) => i.image)).toEqual([{ format: 'jpeg', width: 2048, height: 819 }]);
});

const jobsTest = test.extend<{ relay: Relay; flavour: 'new-api' | 'grok2api' }>({
  flavour: ['new-api', { option: true }],
  relay: async ({ flavour }, use) => {
    const relay = await startRelay({ videos: flavour });
    await use(relay);
    await relay.close();
  },
});

for (const [flavour, model, field, size, confirms] of [
  ['new-api', 'sora-2', 'input_reference', '1280x720', /new-api style/],
  ['grok2api', 'grok-imagine-video', 'input_reference[]', '720x1280', /grok2api style/],
] as const) {
  jobsTest.describe(`video jobs (${flavour})`, () => {
    jobsTest.use({ flavour });

    jobsTest(
      `the image goes as the file part ${field}, cropped to the video's size; a new video from an instruction carries it again`,
      async ({ openPage, relay }) => {
        relay.setJobScenario({ pace: 'polls', slow: 0 });
        const options = await openPage('options');
        await configureJobs(options, relay, model, confirms);
        const panel = await openPage('sidepanel');
        const popup = await openPage('popup');
        await popup.reload();
        await popup.getByRole('textbox', { name: 'Prompt' }).fill('a lighthouse drawn in stripes');
        await popup.getByRole('combobox', { name: 'Size' }).selectOption(size);
        await attach(popup, [WIDE]);
        await popup.getByRole('button', { name: 'Generate' }).click();
        await expect(popup.getByRole('textbox', { name: 'Prompt' })).toHaveValue('');

        const thread = panel.getByRole('article', { name: 'a lighthouse drawn in stripes' });
        const v1 = thread.getByRole('listitem', { name: 'Version 1' });
        await expect(v1.getByText('Completed', { exact: true })).toBeVisible({ timeout: 30_000 });
        await expect(v1.getByRole('img', { name: 'Reference image', exact: true })).toHaveCount(1);

        const [width, height] = size.split('x').map(Number);
        const first = relay.videoJobs[0]!;
        expect(first.form?.fields).toMatchObject({ size });
        expect(first.form?.files).toHaveLength(1);
        expect(first.form?.files[0]).toMatchObject({ name: field, contentType: 'image/jpeg', image: { format: 'jpeg', width, height } });
        // The relay read it (grok2api reads input_reference[] only, new-api input_reference).
        expect(first.references.map((f) => f.sha256)).toEqual([first.form!.files[0]!.sha256]);

        await thread.getByRole('textbox', { name: 'Modify this video' }).fill('at night');
        await thread.getByRole('button', { name: 'Send' }).click();
        const v2 = thread.getByRole('listitem', { name: 'Version 2' });
        if (flavour === 'new-api') {
          // A remix of the job (which holds the image): nothing to upload again.
          await expect(v2.getByText('Completed', { exact: true })).toBeVisible({ timeout: 30_000 });
          expect(relay.videoJobs[1]!.remixOf).toBe(first.id);
          expect(relay.videoJobs[1]!.form).toBeUndefined();
        } else {
          // No remix here: the new video from the instruction is created with the same image bytes.
          await expect(v2.getByText('Failed', { exact: true })).toBeVisible({ timeout: 15_000 });
          await v2.getByRole('button', { name: 'New video from this instruction' }).click();
          const v3 = thread.getByRole('listitem', { name: 'Version 3' });
          await expect(v3.getByText('Completed', { exact: true })).toBeVisible({ timeout: 30_000 });
          const again = relay.videoJobs[1]!;
          expect(again.remixOf).toBeUndefined();
          expect(again.form?.files.map((f) => [f.name, f.sha256])).toEqual([[field, first.form!.files[0]!.sha256]]);
        }
      },
    );
  });
}

/** Notifications the background shows, recorded in the worker from now on. */
async function recordNotifications(sw: Worker): Promise<() => Promise<string[]>> {
  await sw.evaluate(() => {
    const g = globalThis as unknown as {
      __notes: string[];
      chrome: { notifications: { create: (...a: unknown[]) => unknown } };
    };
    g.__notes = [];
    const create = g.chrome.notifications.create.bind(g.chrome.notifications);
    g.chrome.notifications.create = (...args: unknown[]) => {
      const opts = args.find((a): a is { message?: string } => typeof a === 'object' && a !== null && 'message' in a);
      g.__notes.push(opts?.message ?? '');
      return create(...args);
    };
  });
  return () => sw.evaluate(() => (globalThis as unknown as { __notes: string[] }).__notes);
}

const menuClick = (sw: Worker, srcUrl: string) =>
  sw.evaluate(
    ([id, src]) =>
      (globalThis as unknown as { soraThreads: { contextMenuClick(i: object): Promise<string | undefined> } }).soraThreads.contextMenuClick(
        { menuItemId: id, srcUrl: src },
      ),
    [IMAGE_MENU_ID, srcUrl] as const,
  );

/**
 * A web site on another origin (127.0.0.2: the extension holds no permission for it), whose images
 * are read only as CORS allows: one with no CORS header, one refused, one that is a web page.
 */
async function otherSite(): Promise<{ url: string; close: () => Promise<void> }> {
  const image = png(64, 48);
  const server: Server = createServer((req, res) => {
    const cors = { 'Access-Control-Allow-Origin': '*' };
    if (req.url === '/private.png') return void res.writeHead(200, { 'Content-Type': 'image/png' }).end(image);
    if (req.url === '/forbidden.png') return void res.writeHead(403, { ...cors, 'Content-Type': 'text/plain' }).end('Forbidden');
    if (req.url === '/page.png') return void res.writeHead(200, { ...cors, 'Content-Type': 'text/html' }).end('<html></html>');
    res.writeHead(404, cors).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.2:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

test('context menu: "Generate video from this image" starts a video from a page’s image; a site that forbids reading it gets a clear notification', async ({
  openPage,
  relay,
  serviceWorker,
}) => {
  const options = await openPage('options');
  await configureRelay(options, relay);
  const panel = await openPage('sidepanel');
  const notes = await recordNotifications(serviceWorker);

  // The mock relay serves any /files/….png as a 160×90 picture (with CORS), as an image host would.
  const threadId = await menuClick(serviceWorker, `${relay.url}/files/sunset.png`);
  expect(threadId).toMatch(/^thr_/);
  const thread = panel.getByRole('article', { name: 'Bring this image to life with natural, gentle motion.' });
  await expect(thread.locator('video')).toHaveCount(1, { timeout: 20_000 });
  await expect(thread.getByRole('img', { name: 'Reference image', exact: true })).toHaveCount(1);
  expect(relay.chatRequests()[0]!.chat![0]!.images.map((i) => i.image)).toEqual([{ format: 'jpeg', width: 160, height: 90 }]);
  // Read as an anonymous request: no cookies, no referrer, and never the API key.
  const read = relay.requests.find((r) => r.path === '/files/sunset.png')!;
  expect(read.headers.authorization).toBeUndefined();
  expect(read.headers.cookie).toBeUndefined();
  expect(read.headers.referer).toBeUndefined();

  const site = await otherSite();
  try {
    const host = new URL(site.url).host;
    for (const [path, says] of [
      ['/private.png', `${host} does not let other sites read this image. Save it, then attach it in the Sora Threads popup.`],
      ['/forbidden.png', `${host} refused to give the image (HTTP 403). Save it, then attach it in the Sora Threads popup.`],
      ['/page.png', 'The link behind this image is not a picture (text/html).'],
    ] as const) {
      expect(await menuClick(serviceWorker, `${site.url}${path}`)).toBeUndefined();
      await expect.poll(notes).toContain(says);
    }
    expect(await menuClick(serviceWorker, 'blob:https://example.com/1234')).toBeUndefined();
    await expect
      .poll(notes)
      .toContain(
        'This image has no address Sora Threads can read (it exists only inside the page). Save it, then attach it in the Sora Threads popup.',
      );
  } finally {
    await site.close();
  }
  // Nothing was sent for any of them.
  expect(relay.chatRequests()).toHaveLength(1);
});
