/*
 * The answers of the public relays people run (tests/fixtures/relays, each rebuilt byte for byte
 * from its code), served by the mock relay at their own pacing: each family's successes end with a
 * video that plays, with progress taken from where the relay writes it, and each failure reads in
 * the relay's own words.
 */
import type { Page } from '@playwright/test';
import { materialize, RELAY_FIXTURES, relayFixture, type RelayFamily, type RelayFixture } from '../fixtures/relays/index';
import { startRelay, type Relay } from '../relay/index';
import { expect, test } from './fixtures';
import { configureRelay, expectPlayer, recordTurnUpdates } from './helpers';

const MODELS = [...new Set(RELAY_FIXTURES.map((f) => f.model))];

/** This test's relay, serving every fixture's model (the `relay` fixture serves only sora-2). */
const familyRelay = test.extend<{ relay: Relay }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads dependencies from this pattern; there are none
  relay: async ({}, use) => {
    const relay = await startRelay({ models: MODELS });
    await use(relay);
    await relay.close();
  },
});

async function generate(popup: Page, prompt: string): Promise<void> {
  await popup.reload();
  await popup.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('textbox', { name: 'Prompt' })).toHaveValue('');
}

/** The video element really loads and plays the relay's file. */
async function expectPlays(article: ReturnType<Page['getByRole']>): Promise<void> {
  const video = article.locator('video');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
  await video.evaluate(async (v: HTMLVideoElement) => {
    v.muted = true;
    await v.play();
  });
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThan(0);
}

const FAMILIES: RelayFamily[] = ['sora2api', 'flow2api', 'grok2api', 'gpt4free'];

for (const family of FAMILIES) {
  const answers = RELAY_FIXTURES.filter((f) => f.family === family && f.status === 200);

  familyRelay(`${family}: every answer it sends ends as a playing video or a failure in its own words`, async ({ openPage, relay }) => {
    familyRelay.setTimeout(30_000 + answers.length * 15_000);
    const options = await openPage('options');
    const panel = await openPage('sidepanel');
    const popup = await openPage('popup');

    for (const fixture of answers) {
      const expected = materialize(fixture, relay.url).expect;
      const prompt = `${family} ${fixture.name}: a red fox in the snow`;
      await configureRelay(options, relay, fixture.model);
      relay.setScenario(`relay:${family}/${fixture.name}`);
      await panel.reload();
      const seen = await recordTurnUpdates(panel);
      await generate(popup, prompt);

      const article = panel.getByRole('article', { name: prompt });
      if (expected.outcome === 'completed') {
        await expect(article.getByText('Completed'), fixture.name).toBeVisible({ timeout: 15_000 });
        await expectPlayer(article, expected.videoUrl!);
        await expect(article.getByRole('link', { name: 'Open video' })).toHaveAttribute('href', expected.videoUrl!);
        await expectPlays(article);
        if (expected.previewUrl) await expect(article.locator('video')).toHaveAttribute('poster', expected.previewUrl);
      } else {
        await expect(article.getByText('Failed', { exact: true }), fixture.name).toBeVisible({ timeout: 15_000 });
        await expect(article).toContainText(expected.failureIncludes!);
        await expect(article.locator('video')).toHaveCount(0);
      }

      const { progress } = await seen();
      // Progress only ever rises; where the relay reports steps (in its reasoning or its text),
      // the bar moved through them, not straight from nothing to the end.
      expect(
        [...progress].sort((a, b) => a - b),
        fixture.name,
      ).toEqual(progress);
      const steps = (expected.progress ?? []).filter((p) => p > 0 && p < 100);
      if (steps.length >= 2) expect(progress.filter((p) => steps.includes(p)).length, fixture.name).toBeGreaterThan(0);
      // The key went to the API only, never to a media link.
      expect(relay.authLeaks()).toEqual([]);
    }
    expect(relay.chatRequests()).toHaveLength(answers.length);
  });
}

familyRelay('a video link followed by a dropped connection still shows the video', async ({ openPage, relay }) => {
  const options = await openPage('options');
  const panel = await openPage('sidepanel');
  const popup = await openPage('popup');
  for (const id of ['sora2api/success', 'flow2api/success', 'grok2api/relative-html']) {
    const fixture: RelayFixture = relayFixture(id);
    const linkAt = fixture.chunks.findIndex((c) => /<video|\/v1\/files\/video/.test(c.text));
    expect(linkAt, id).toBeGreaterThan(-1);
    // Everything up to the link, then the socket breaks: no finish_reason, no [DONE].
    relay.setScenario({ name: `relay:${id}` as `relay:${RelayFamily}/${string}`, dropAfter: linkAt + 1 });
    await configureRelay(options, relay, fixture.model);
    const prompt = `${id} then the connection drops`;
    await generate(popup, prompt);
    const article = panel.getByRole('article', { name: prompt });
    await expect(article.getByText('Completed'), id).toBeVisible({ timeout: 15_000 });
    await expect(article.getByRole('button', { name: 'Retry' })).toHaveCount(0);
    await expectPlays(article);
  }
});

familyRelay('a relay that turns the key away answers in its own words ({"detail": …} from FastAPI relays)', async ({ openPage, relay }) => {
  const options = await openPage('options');
  const panel = await openPage('sidepanel');
  const popup = await openPage('popup');
  for (const id of ['sora2api/auth', 'flow2api/auth', 'grok2api/auth', 'gpt4free/auth']) {
    const fixture = relayFixture(id);
    const answer = RELAY_FIXTURES.find((f) => f.family === fixture.family && f.status === 200)!;
    relay.setScenario(`relay:${answer.family}/${answer.name}`);
    await options.getByRole('textbox', { name: 'API base URL' }).fill(relay.url);
    await options.getByLabel('API key', { exact: true }).fill('sk-wrong-key-123');
    await options.getByRole('combobox', { name: 'Model' }).fill(fixture.model);
    await options.getByRole('button', { name: 'Save' }).click();
    await expect(options.getByRole('status')).toHaveText('Saved.');
    const prompt = `${id}: wrong key`;
    await generate(popup, prompt);
    const article = panel.getByRole('article', { name: prompt });
    await expect(article.getByText('Failed', { exact: true })).toBeVisible({ timeout: 10_000 });
    await expect(article).toContainText(fixture.expect.failureIncludes!);
    await expect(article).toContainText(/API key/);
    await expect(article).not.toContainText('sk-wrong-key-123');
  }
});
