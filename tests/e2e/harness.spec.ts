import { expect, test } from './fixtures';

test('the extension starts, its popup opens, and its worker reaches the relay', async ({ serviceWorker, extensionId, openPage, relay }) => {
  expect(extensionId).toMatch(/^[a-p]{32}$/);
  expect(serviceWorker.url()).toBe(`chrome-extension://${extensionId}/background.js`);

  const popup = await openPage('popup');
  await expect(popup).toHaveURL(`chrome-extension://${extensionId}/popup.html`);
  // Only an extension page sees its own runtime id.
  expect(await popup.evaluate(() => (globalThis as unknown as { chrome: { runtime: { id: string } } }).chrome.runtime.id)).toBe(
    extensionId,
  );

  // The relay's media must be real enough for a <video> to load (and not be fetched with the key).
  const video = await popup.evaluate(async (src) => {
    const el = document.createElement('video');
    el.muted = true;
    el.src = src;
    return new Promise<{ duration: number; width: number } | string>((resolve) => {
      el.onloadedmetadata = () => resolve({ duration: el.duration, width: el.videoWidth });
      el.onerror = () => resolve(`video error ${el.error?.code}`);
    });
  }, `${relay.url}/files/task_smoke.mp4`);
  expect(video).toEqual({ duration: 2, width: 160 });
  expect(relay.authLeaks()).toEqual([]);

  const answer = await serviceWorker.evaluate(
    async ({ url, key }) => {
      const res = await fetch(`${url}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
      return { status: res.status, body: (await res.json()) as { data: { id: string }[] } };
    },
    { url: relay.url, key: relay.apiKey },
  );
  expect(answer.status).toBe(200);
  expect(answer.body.data.map((m) => m.id)).toContain('sora-2');

  // The relay allows any origin, so success alone would not prove the host permission: a fetch
  // with an Authorization header and no host permission would have sent a CORS preflight first.
  const models = relay.requests.filter((r) => r.path === '/v1/models');
  expect(models.map((r) => r.method)).toEqual(['GET']);
  expect(models[0]!.headers.authorization).toBe(`Bearer ${relay.apiKey}`);
});
